//! The RC4 stream cipher, written out by hand.
//!
//! The original program encrypted secure messages with RC4, and showing how it works is part of
//! what labchat teaches, so the cipher is spelled out here rather than taken from a crate. RC4 is
//! broken as a general-purpose cipher (its first keystream bytes are biased); [`crate::secure`]
//! only uses it with a fresh key per message and discards the start of each keystream.
//!
//! The implementation is checked against every vector of RFC 6229 section 2 in
//! `common/tests/rc4_vectors.rs`, and against the RustCrypto `rc4` crate on random keys.

use std::fmt;

/// The shortest key RC4 accepts, in bytes.
pub const MIN_KEY_LEN: usize = 1;

/// The longest key RC4 accepts, in bytes: the key schedule cycles over at most 256 key bytes.
pub const MAX_KEY_LEN: usize = 256;

/// The key passed to [`Rc4::new`] was empty or longer than 256 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("RC4 key is {len} bytes long; it must be 1 to 256 bytes")]
pub struct InvalidKeyLength {
    /// The length of the key that was refused, in bytes.
    pub len: usize,
}

/// An RC4 keystream generator: the permutation `s` and the two indices `i` and `j`.
///
/// Encryption and decryption are the same operation, [`Rc4::apply_keystream`], which XORs the
/// next keystream bytes into a buffer.
#[derive(Clone)]
pub struct Rc4 {
    s: [u8; 256],
    i: u8,
    j: u8,
}

impl Rc4 {
    /// Runs the RC4 key schedule (KSA) for `key`.
    ///
    /// # Errors
    ///
    /// [`InvalidKeyLength`] if `key` is empty or longer than [`MAX_KEY_LEN`] bytes.
    pub fn new(key: &[u8]) -> Result<Rc4, InvalidKeyLength> {
        if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
            return Err(InvalidKeyLength { len: key.len() });
        }
        // Start from the identity permutation; `as u8` is exact because `k` < 256.
        let mut s = [0u8; 256];
        for (k, slot) in s.iter_mut().enumerate() {
            *slot = k as u8;
        }
        // Swap each position with one chosen by the running sum of state and key bytes.
        let mut j: u8 = 0;
        for k in 0..256 {
            j = j.wrapping_add(s[k]).wrapping_add(key[k % key.len()]);
            s.swap(k, usize::from(j));
        }
        Ok(Rc4 { s, i: 0, j: 0 })
    }

    /// XORs the next `data.len()` keystream bytes into `data`, encrypting or decrypting it.
    pub fn apply_keystream(&mut self, data: &mut [u8]) {
        for byte in data {
            *byte ^= self.next_byte();
        }
    }

    /// Discards the next `n` keystream bytes.
    ///
    /// The first bytes of an RC4 keystream leak information about the key, so callers that must
    /// use RC4 drop a few thousand of them (often called RC4-drop\[n\]).
    pub fn skip(&mut self, n: usize) {
        for _ in 0..n {
            self.next_byte();
        }
    }

    /// One step of the pseudo-random generation algorithm (PRGA).
    fn next_byte(&mut self) -> u8 {
        self.i = self.i.wrapping_add(1);
        self.j = self.j.wrapping_add(self.s[usize::from(self.i)]);
        self.s.swap(usize::from(self.i), usize::from(self.j));
        let k = self.s[usize::from(self.i)].wrapping_add(self.s[usize::from(self.j)]);
        self.s[usize::from(k)]
    }
}

/// Shows no state: the permutation determines every future keystream byte.
impl fmt::Debug for Rc4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rc4").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys of length 0 and 257 are refused with their length; 1 and 256 are accepted.
    #[test]
    fn key_length_bounds() {
        assert_eq!(Rc4::new(&[]).unwrap_err(), InvalidKeyLength { len: 0 });
        assert_eq!(
            Rc4::new(&[7; 257]).unwrap_err(),
            InvalidKeyLength { len: 257 }
        );
        assert!(Rc4::new(&[7]).is_ok());
        assert!(Rc4::new(&[7; 256]).is_ok());
    }

    /// Skipping n bytes leaves the generator where applying n bytes would.
    #[test]
    fn skip_matches_apply() {
        let mut a = Rc4::new(b"Key").unwrap();
        let mut b = a.clone();
        a.skip(1000);
        b.apply_keystream(&mut [0u8; 1000]);
        let (mut x, mut y) = ([0u8; 32], [0u8; 32]);
        a.apply_keystream(&mut x);
        b.apply_keystream(&mut y);
        assert_eq!(x, y);
    }

    /// Applying the keystream twice restores the plaintext (the widely quoted "Key"/"Plaintext" pair).
    #[test]
    fn key_plaintext_example() {
        let mut data = *b"Plaintext";
        Rc4::new(b"Key").unwrap().apply_keystream(&mut data);
        assert_eq!(data, [0xbb, 0xf3, 0x16, 0xe8, 0xd9, 0x40, 0xaf, 0x0a, 0xd3]);
        Rc4::new(b"Key").unwrap().apply_keystream(&mut data);
        assert_eq!(&data, b"Plaintext");
    }
}
