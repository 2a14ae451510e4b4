//! Diffie-Hellman key agreement over named groups.
//!
//! Two clients that want a secure chat each pick a private exponent `x`, send `g^x mod p` as a
//! decimal number (as the original program did), and combine the peer's number with their own
//! exponent into the same shared secret. [`crate::secure`] turns that secret into message keys.
//!
//! Groups:
//! - [`Group::Toy`]: the original program's `p = 1999`, `g = 1777`. Kept so the weakness can be
//!   shown: anyone who sees the two public values recovers the secret by trying every exponent.
//! - [`Group::Ffdhe2048`] (the default) and [`Group::Ffdhe3072`]: the RFC 7919 groups, safe
//!   primes with `g = 2`.
//!
//! Modular exponentiation uses `crypto-bigint`'s Montgomery arithmetic, whose running time does
//! not depend on the exponent's value. Numbers are carried between functions as big-endian
//! bytes of the modulus' length, so one code path serves every group size.
//!
//! [`Walk`] is the attacker's side, for teaching: the values and secrets of the next exponents,
//! one multiplication each, as a relay in the middle searches them for matching safety codes.

use std::fmt;
use std::str::FromStr;

use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{Limb, Uint, U2048, U3072, U64};
use rand::rngs::OsRng;
use rand::RngCore;

/// The original program's prime modulus.
const TOY_P: u64 = 1999;

/// The original program's generator.
const TOY_G: u32 = 1777;

/// The ffdhe2048 prime of RFC 7919, appendix A.1.
const FFDHE2048_P: U2048 = U2048::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B423861285C97FFFFFFFFFFFFFFFF",
));

/// The ffdhe3072 prime of RFC 7919, appendix A.2.
const FFDHE3072_P: U3072 = U3072::from_be_hex(concat!(
    "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695",
    "A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A",
    "D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935",
    "984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A",
    "BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4",
    "AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61",
    "9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005",
    "C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B",
    "BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C",
    "AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF",
    "5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E",
    "0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF",
));

/// A Diffie-Hellman group: a prime modulus `p` and a generator `g`.
///
/// Parsed from and displayed as its name: `toy`, `ffdhe2048`, `ffdhe3072`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Group {
    /// The original program's group, `p = 1999`, `g = 1777`: 11 bits, broken by hand.
    Toy,
    /// RFC 7919 ffdhe2048 (`g = 2`), about 103 bits of security. The default.
    #[default]
    Ffdhe2048,
    /// RFC 7919 ffdhe3072 (`g = 2`), about 125 bits of security.
    Ffdhe3072,
}

impl Group {
    /// Every group, smallest first.
    pub const ALL: [Group; 3] = [Group::Toy, Group::Ffdhe2048, Group::Ffdhe3072];

    /// The group's name, as [`FromStr`] accepts it and [`fmt::Display`] prints it.
    pub fn name(self) -> &'static str {
        match self {
            Group::Toy => "toy",
            Group::Ffdhe2048 => "ffdhe2048",
            Group::Ffdhe3072 => "ffdhe3072",
        }
    }

    /// The generator `g`.
    pub fn generator(self) -> u32 {
        match self {
            Group::Toy => TOY_G,
            Group::Ffdhe2048 | Group::Ffdhe3072 => 2,
        }
    }

    /// The bit length of the modulus `p`: 11, 2048 or 3072.
    pub fn modulus_bits(self) -> usize {
        match self {
            Group::Toy => 11,
            Group::Ffdhe2048 => 2048,
            Group::Ffdhe3072 => 3072,
        }
    }

    /// The length in bytes of `p`, and so of every public value and shared secret in the group.
    pub fn byte_len(self) -> usize {
        self.modulus_bits().div_ceil(8)
    }

    /// The modulus `p` as big-endian bytes, [`Group::byte_len`] long.
    pub fn modulus_be_bytes(self) -> Vec<u8> {
        let len = self.byte_len();
        match self {
            Group::Toy => uint_to_be(&U64::from_u64(TOY_P), len),
            Group::Ffdhe2048 => uint_to_be(&FFDHE2048_P, len),
            Group::Ffdhe3072 => uint_to_be(&FFDHE3072_P, len),
        }
    }

    /// Computes the public value `g^x mod p` for the private exponent `x`, given as big-endian
    /// bytes (any length; leading zeros are ignored).
    ///
    /// This is the pure half of [`KeyPair::generate`], for tests and demonstrations that need a
    /// chosen exponent.
    ///
    /// # Errors
    ///
    /// - [`DhError::PrivateOutOfRange`] if `x` is not in `2..=p-2`.
    /// - [`DhError::DegenerateKey`] if `g^x` is 1 or `p-1`, which a peer would refuse. This
    ///   happens in the toy group, where `g` has order 999, for `x = 999`.
    pub fn public_from_private(self, private_be: &[u8]) -> Result<PublicValue, DhError> {
        let x = fixed_len(private_be, self.byte_len())
            .filter(|x| self.in_exchange_range(x))
            .ok_or(DhError::PrivateOutOfRange { group: self })?;
        let g = fixed_len(&self.generator().to_be_bytes(), self.byte_len())
            .expect("every generator is smaller than its modulus");
        let y = self.mod_pow(&g, &x);
        if !self.in_exchange_range(&y) {
            return Err(DhError::DegenerateKey { group: self });
        }
        Ok(PublicValue {
            group: self,
            bytes: y,
        })
    }

    /// Whether `value` (big-endian, [`Group::byte_len`] long) lies in `2..=p-2`.
    ///
    /// Both private exponents and public values must. A public value of 0, 1 or `p-1` would
    /// make the shared secret 0, 1 or one of `1, p-1`, whatever the other side's exponent is.
    fn in_exchange_range(self, value: &[u8]) -> bool {
        let two = fixed_len(&[2], self.byte_len()).expect("p has at least one byte");
        let p_minus_2 = sub_small(&self.modulus_be_bytes(), 2);
        // Equal-length big-endian byte strings compare like the numbers they encode.
        two.as_slice() <= value && value <= p_minus_2.as_slice()
    }

    /// `base^exponent mod p`, all as big-endian bytes of [`Group::byte_len`], in time that does
    /// not depend on the exponent's value.
    fn mod_pow(self, base: &[u8], exponent: &[u8]) -> Vec<u8> {
        let bits = self.modulus_bits();
        match self {
            Group::Toy => mod_pow_in(&U64::from_u64(TOY_P), bits, base, exponent),
            Group::Ffdhe2048 => mod_pow_in(&FFDHE2048_P, bits, base, exponent),
            Group::Ffdhe3072 => mod_pow_in(&FFDHE3072_P, bits, base, exponent),
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for Group {
    type Err = UnknownGroup;

    /// Accepts exactly the names [`Group::name`] gives (lowercase).
    fn from_str(name: &str) -> Result<Group, UnknownGroup> {
        Group::ALL
            .into_iter()
            .find(|group| group.name() == name)
            .ok_or_else(|| UnknownGroup {
                name: name.to_owned(),
            })
    }
}

/// A group name that is not one of `toy`, `ffdhe2048`, `ffdhe3072`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Diffie-Hellman group {name:?}; use one of: toy, ffdhe2048, ffdhe3072")]
pub struct UnknownGroup {
    /// The name that was given.
    pub name: String,
}

/// Why a public value or private exponent was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DhError {
    /// The public value text was empty.
    #[error("Diffie-Hellman public value is empty; expected a decimal number")]
    Empty,
    /// The public value text had something other than the digits 0-9 (a sign, a space, a letter).
    #[error(
        "Diffie-Hellman public value is not a plain decimal number; \
         only the digits 0-9 are allowed, with no sign or spaces"
    )]
    NotDecimal,
    /// The public value text started with `0` and had more digits; each value has one spelling.
    #[error("Diffie-Hellman public value has a leading zero; send it without leading zeros")]
    LeadingZero,
    /// The public value was 0, 1, `p-1`, `p` or larger.
    #[error(
        "Diffie-Hellman public value is outside 2..=p-2 for group {group}; \
         it is degenerate or forged, so the key exchange was refused"
    )]
    OutOfRange {
        /// The group whose modulus `p` bounds the value.
        group: Group,
    },
    /// A chosen private exponent was not in `2..=p-2`.
    #[error("Diffie-Hellman private exponent is outside 2..=p-2 for group {group}; pick another")]
    PrivateOutOfRange {
        /// The group whose modulus `p` bounds the exponent.
        group: Group,
    },
    /// A chosen private exponent gives a public value of 1 or `p-1`, which peers refuse.
    #[error(
        "Diffie-Hellman private exponent gives a public value of 1 or p-1 in group {group}; \
         pick another"
    )]
    DegenerateKey {
        /// The group in which the exponent is degenerate.
        group: Group,
    },
}

/// A public value `g^x mod p`: what one side sends the other.
///
/// On the wire it is a decimal number without sign, spaces or leading zeros:
///
/// ```text
/// 1234
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicValue {
    group: Group,
    /// Big-endian, exactly `group.byte_len()` long.
    bytes: Vec<u8>,
}

impl PublicValue {
    /// Parses a peer's public value for `group` from its decimal text.
    ///
    /// Accepts only digits 0-9 with no leading zero, and only values in `2..=p-2`. Leading zeros
    /// are refused so that every value has exactly one spelling.
    ///
    /// # Errors
    ///
    /// [`DhError::Empty`], [`DhError::NotDecimal`], [`DhError::LeadingZero`] for text that is not
    /// a canonical decimal number, and [`DhError::OutOfRange`] for 0, 1, `p-1`, `p` and above.
    pub fn parse(group: Group, text: &str) -> Result<PublicValue, DhError> {
        if text.is_empty() {
            return Err(DhError::Empty);
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DhError::NotDecimal);
        }
        if text.len() > 1 && text.starts_with('0') {
            return Err(DhError::LeadingZero);
        }
        // A value with more digits than p is too large; refusing it here also bounds the work
        // of the conversion below.
        if text.len() > decimal(&group.modulus_be_bytes()).len() {
            return Err(DhError::OutOfRange { group });
        }
        let bytes = parse_decimal(text, group.byte_len()).ok_or(DhError::OutOfRange { group })?;
        if !group.in_exchange_range(&bytes) {
            return Err(DhError::OutOfRange { group });
        }
        Ok(PublicValue { group, bytes })
    }

    /// The group this value belongs to.
    pub fn group(&self) -> Group {
        self.group
    }

    /// The value as big-endian bytes, exactly [`Group::byte_len`] long (zero-padded on the
    /// left), as used for key derivation.
    pub fn to_be_bytes(&self) -> Vec<u8> {
        self.bytes.clone()
    }
}

/// The decimal number, as sent on the wire.
impl fmt::Display for PublicValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&decimal(&self.bytes))
    }
}

impl fmt::Debug for PublicValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicValue({}, {})", self.group, self)
    }
}

/// One side's private exponent `x` and public value `g^x mod p`.
pub struct KeyPair {
    /// Big-endian, `group.byte_len()` long, in `2..=p-2`.
    private: Vec<u8>,
    public: PublicValue,
}

impl KeyPair {
    /// Draws a fresh private exponent from the operating system's random source and computes
    /// its public value.
    ///
    /// The exponent is drawn uniformly from the full range `2..=p-2` (the group's byte length
    /// of random bytes, the bits above p's top bit cleared, drawn again while outside the
    /// range), not a short 256-bit exponent: the full range needs no argument about the
    /// security of short exponents, and costs only a few milliseconds more per conversation.
    /// An exponent whose public value would be degenerate (outside `2..=p-2`) is drawn again:
    /// exactly one is, the order of `g` (999 in the toy group, `(p-1)/2` in the ffdhe groups),
    /// whose public value is 1. So `x` is uniform over `2..=p-2` without that exponent, and a
    /// public value of 1 never occurs (PROTOCOL.md, "The exchange").
    ///
    /// # Panics
    ///
    /// If the operating system's random source fails, as [`rand::rngs::OsRng`] does.
    pub fn generate(group: Group) -> KeyPair {
        let len = group.byte_len();
        // Bits of the top byte that p can have set; masking the rest keeps most draws in range.
        let top_mask = match group.modulus_bits() % 8 {
            0 => 0xff,
            bits => (1u8 << bits) - 1,
        };
        let mut candidate = vec![0u8; len];
        loop {
            OsRng.fill_bytes(&mut candidate);
            candidate[0] &= top_mask;
            if let Ok(pair) = KeyPair::from_private_be(group, &candidate) {
                return pair;
            }
        }
    }

    /// Builds a key pair from a chosen private exponent (big-endian bytes), for tests and
    /// demonstrations. Real sessions use [`KeyPair::generate`].
    ///
    /// # Errors
    ///
    /// As [`Group::public_from_private`].
    pub fn from_private_be(group: Group, private_be: &[u8]) -> Result<KeyPair, DhError> {
        let public = group.public_from_private(private_be)?;
        let private = fixed_len(private_be, group.byte_len())
            .expect("public_from_private checked the exponent's length");
        Ok(KeyPair { private, public })
    }

    /// The group of this key pair.
    pub fn group(&self) -> Group {
        self.public.group
    }

    /// The private exponent `x`, big-endian, [`Group::byte_len`] long. Only for teaching
    /// (`client --explain` shows it); it must never leave the machine.
    pub fn private_be_bytes(&self) -> &[u8] {
        &self.private
    }

    /// The public value to send to the peer.
    pub fn public(&self) -> &PublicValue {
        &self.public
    }

    /// Combines the peer's public value with this side's exponent: `peer^x mod p`.
    ///
    /// Both sides get the same [`SharedSecret`]. The peer's value was range-checked by
    /// [`PublicValue::parse`].
    ///
    /// # Panics
    ///
    /// If `peer` belongs to another group than this key pair: both sides must have agreed on
    /// the group before parsing the peer's value.
    pub fn agree(&self, peer: &PublicValue) -> SharedSecret {
        assert_eq!(
            peer.group,
            self.group(),
            "peer's public value is in another Diffie-Hellman group"
        );
        SharedSecret {
            bytes: self.group().mod_pow(&peer.bytes, &self.private),
        }
    }
}

/// Shows the group and public value, never the private exponent.
impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// The Diffie-Hellman shared secret `g^(xy) mod p`, as big-endian bytes of the modulus' length.
///
/// Feed it to a key derivation function ([`crate::secure::Session::new`]); never use it as a
/// key directly. Equality is for tests and is not constant-time.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedSecret {
    bytes: Vec<u8>,
}

impl SharedSecret {
    /// The secret as big-endian bytes, exactly [`Group::byte_len`] long.
    pub fn as_be_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Hides the secret.
impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// A walk through exponents: `g^(x+k)` and `peer^(x+k)` for `k = 0, 1, 2, ...`, each step one
/// modular multiplication per number, no exponentiation.
///
/// This is how a relay in the middle searches for values that give two people matching safety
/// codes (the teaching tool `eve --grind`, and the grinding relay of the tests): starting from
/// a key pair of its own (exponent `x`) and a client's public value `peer`, step `k` gives the
/// public value the relay could send, `g^(x+k)`, and the shared secret the client would then
/// compute, `peer^(x+k)`. Nothing here is constant-time: it is an attacker's tool.
#[derive(Clone)]
pub struct Walk {
    group: Group,
    steps: u64,
    residues: Residues,
}

/// The walk's numbers in Montgomery form, in an integer type of the group's size (boxed: each
/// residue carries its modulus' parameters, over 11 KiB in all for ffdhe3072).
#[derive(Clone)]
enum Residues {
    Toy(Box<Pair<{ U64::LIMBS }>>),
    Ffdhe2048(Box<Pair<{ U2048::LIMBS }>>),
    Ffdhe3072(Box<Pair<{ U3072::LIMBS }>>),
}

/// The current value and secret, the two factors of a step, and where the walk started.
#[derive(Clone)]
struct Pair<const LIMBS: usize> {
    value: DynResidue<LIMBS>,
    secret: DynResidue<LIMBS>,
    generator: DynResidue<LIMBS>,
    peer: DynResidue<LIMBS>,
    start: (DynResidue<LIMBS>, DynResidue<LIMBS>),
}

impl<const LIMBS: usize> Pair<LIMBS> {
    fn new(modulus: &Uint<LIMBS>, g: u32, value: &[u8], secret: &[u8], peer: &[u8]) -> Self {
        let params = DynResidueParams::new(modulus);
        let residue = |bytes: &[u8]| DynResidue::new(&uint_from_be::<LIMBS>(bytes), params);
        let (value, secret) = (residue(value), residue(secret));
        Pair {
            value,
            secret,
            generator: DynResidue::new(&Uint::from_u64(u64::from(g)), params),
            peer: residue(peer),
            start: (value, secret),
        }
    }

    fn step(&mut self) {
        self.value *= &self.generator;
        self.secret *= &self.peer;
    }

    /// The same walk, moved to step `k` from its start: `g^k` and `peer^k` by exponentiation.
    fn at(&self, k: u64) -> Self {
        let k_uint = Uint::<LIMBS>::from_u64(k);
        let bits = (u64::BITS - k.leading_zeros()) as usize;
        let mut moved = self.clone();
        moved.value = self.start.0 * self.generator.pow_bounded_exp(&k_uint, bits);
        moved.secret = self.start.1 * self.peer.pow_bounded_exp(&k_uint, bits);
        moved
    }

    fn value_be(&self, len: usize) -> Vec<u8> {
        uint_to_be(&self.value.retrieve(), len)
    }

    fn secret_be(&self, len: usize) -> Vec<u8> {
        uint_to_be(&self.secret.retrieve(), len)
    }

    fn back_at_start(&self) -> bool {
        self.value == self.start.0
    }
}

/// Runs `$body` with `$pair` bound to the walk's numbers, whatever the group's size.
macro_rules! with_pair {
    ($residues:expr, $pair:ident => $body:expr) => {
        match $residues {
            Residues::Toy($pair) => $body,
            Residues::Ffdhe2048($pair) => $body,
            Residues::Ffdhe3072($pair) => $body,
        }
    };
}

impl Walk {
    /// Starts at `start`'s own exponent `x` (step 0): the value `g^x` and the secret
    /// `peer^x`, which costs one exponentiation.
    ///
    /// # Panics
    ///
    /// If `peer` belongs to another group than `start`.
    pub fn new(start: &KeyPair, peer: &PublicValue) -> Walk {
        let group = start.group();
        let secret = start.agree(peer);
        let (value, secret, peer) = (
            &start.public().bytes,
            secret.as_be_bytes(),
            peer.bytes.as_slice(),
        );
        let g = group.generator();
        let residues = match group {
            Group::Toy => Residues::Toy(Box::new(Pair::new(
                &U64::from_u64(TOY_P),
                g,
                value,
                secret,
                peer,
            ))),
            Group::Ffdhe2048 => {
                Residues::Ffdhe2048(Box::new(Pair::new(&FFDHE2048_P, g, value, secret, peer)))
            }
            Group::Ffdhe3072 => {
                Residues::Ffdhe3072(Box::new(Pair::new(&FFDHE3072_P, g, value, secret, peer)))
            }
        };
        Walk {
            group,
            steps: 0,
            residues,
        }
    }

    /// Moves on one step: `k` becomes `k + 1`.
    pub fn step(&mut self) {
        with_pair!(&mut self.residues, pair => pair.step());
        self.steps += 1;
    }

    /// The same walk at step `k` (from its start, whatever step this one is at), to find
    /// again a value that was passed without keeping it.
    pub fn at(&self, k: u64) -> Walk {
        let residues = match &self.residues {
            Residues::Toy(pair) => Residues::Toy(Box::new(pair.at(k))),
            Residues::Ffdhe2048(pair) => Residues::Ffdhe2048(Box::new(pair.at(k))),
            Residues::Ffdhe3072(pair) => Residues::Ffdhe3072(Box::new(pair.at(k))),
        };
        Walk {
            group: self.group,
            steps: k,
            residues,
        }
    }

    /// How many steps the walk has taken: `k`.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The group of the walk.
    pub fn group(&self) -> Group {
        self.group
    }

    /// The public value at this step, `g^(x+k) mod p`.
    ///
    /// # Errors
    ///
    /// [`DhError::DegenerateKey`] for 1 or `p-1`, which a client would refuse (possible in the
    /// toy group only).
    pub fn value(&self) -> Result<PublicValue, DhError> {
        let len = self.group.byte_len();
        let bytes = with_pair!(&self.residues, pair => pair.value_be(len));
        if !self.group.in_exchange_range(&bytes) {
            return Err(DhError::DegenerateKey { group: self.group });
        }
        Ok(PublicValue {
            group: self.group,
            bytes,
        })
    }

    /// The shared secret the client with value `peer` computes from [`Walk::value`]:
    /// `peer^(x+k) mod p`.
    pub fn secret(&self) -> SharedSecret {
        let len = self.group.byte_len();
        SharedSecret {
            bytes: with_pair!(&self.residues, pair => pair.secret_be(len)),
        }
    }

    /// True once the walk has come round to its start: `g` has order `k` (998 values in the
    /// toy group go round in 999 steps; an RFC 7919 group never comes round).
    pub fn back_at_start(&self) -> bool {
        self.steps > 0 && with_pair!(&self.residues, pair => pair.back_at_start())
    }
}

/// Shows the group and the step, never the numbers.
impl fmt::Debug for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("group", &self.group)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

/// `base^exponent mod modulus` in Montgomery form, over the low `exponent_bits` bits of the
/// exponent. Inputs and output are big-endian bytes; the output is `base.len()` long.
fn mod_pow_in<const LIMBS: usize>(
    modulus: &Uint<LIMBS>,
    exponent_bits: usize,
    base: &[u8],
    exponent: &[u8],
) -> Vec<u8> {
    let params = DynResidueParams::new(modulus);
    let base_uint = uint_from_be::<LIMBS>(base);
    let exponent_uint = uint_from_be::<LIMBS>(exponent);
    let result = DynResidue::new(&base_uint, params)
        .pow_bounded_exp(&exponent_uint, exponent_bits)
        .retrieve();
    uint_to_be(&result, base.len())
}

/// Reads big-endian bytes (at most the integer's size) into a [`Uint`].
fn uint_from_be<const LIMBS: usize>(bytes: &[u8]) -> Uint<LIMBS> {
    let padded = fixed_len(bytes, LIMBS * Limb::BYTES).expect("value fits the integer type");
    Uint::from_be_slice(&padded)
}

/// Writes a [`Uint`] as big-endian bytes, keeping the last `len`; the dropped ones are zero.
fn uint_to_be<const LIMBS: usize>(value: &Uint<LIMBS>, len: usize) -> Vec<u8> {
    // `as_words` runs from the least significant word up.
    let mut bytes = Vec::with_capacity(LIMBS * Limb::BYTES);
    for word in value.as_words().iter().rev() {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    bytes.split_off(bytes.len() - len)
}

/// Left-pads or strips leading zeros of big-endian `bytes` to exactly `len`; `None` if the value
/// needs more than `len` bytes.
fn fixed_len(bytes: &[u8], len: usize) -> Option<Vec<u8>> {
    let first_nonzero = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let significant = &bytes[first_nonzero..];
    if significant.len() > len {
        return None;
    }
    let mut out = vec![0u8; len - significant.len()];
    out.extend_from_slice(significant);
    Some(out)
}

/// Subtracts a small number from a big-endian value that is at least that large.
fn sub_small(bytes: &[u8], small: u8) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let mut borrow = small;
    for byte in out.iter_mut().rev() {
        let (difference, underflow) = byte.overflowing_sub(borrow);
        *byte = difference;
        borrow = u8::from(underflow);
        if borrow == 0 {
            break;
        }
    }
    assert_eq!(borrow, 0, "value is smaller than {small}");
    out
}

/// The largest power of ten that fits a `u32`, and its number of zeros: decimal conversion
/// works nine digits at a time.
const CHUNK: u32 = 1_000_000_000;
const CHUNK_DIGITS: usize = 9;

/// Formats a big-endian unsigned integer in decimal, without leading zeros: how public values
/// go on the wire, and how teaching tools show an exponent or a secret.
pub fn decimal(bytes: &[u8]) -> String {
    // Base-2^32 digits, most significant first.
    let mut words: Vec<u32> = {
        let padding = (4 - bytes.len() % 4) % 4;
        let mut padded = vec![0u8; padding];
        padded.extend_from_slice(bytes);
        padded
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    // Repeatedly divide by 10^9; the remainders are the nine-digit groups, least significant
    // first.
    let mut groups = Vec::new();
    while words.iter().any(|&w| w != 0) {
        let mut remainder: u64 = 0;
        for word in &mut words {
            let current = (remainder << 32) | u64::from(*word);
            *word = (current / u64::from(CHUNK)) as u32;
            remainder = current % u64::from(CHUNK);
        }
        groups.push(remainder as u32);
    }
    match groups.split_last() {
        None => "0".to_owned(),
        Some((most, rest)) => {
            let mut text = most.to_string();
            for group in rest.iter().rev() {
                text.push_str(&format!("{group:0width$}", width = CHUNK_DIGITS));
            }
            text
        }
    }
}

/// Parses ASCII decimal digits into a big-endian integer of exactly `len` bytes; `None` if it
/// does not fit. The caller has checked that `digits` holds only `0`-`9`.
fn parse_decimal(digits: &str, len: usize) -> Option<Vec<u8>> {
    // Base-2^32 digits, least significant first.
    let mut words: Vec<u32> = Vec::new();
    for chunk in digits.as_bytes().chunks(CHUNK_DIGITS) {
        let multiplier = 10u64.pow(chunk.len() as u32);
        let mut carry = chunk
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0'));
        for word in &mut words {
            let current = u64::from(*word) * multiplier + carry;
            *word = current as u32;
            carry = current >> 32;
        }
        if carry != 0 {
            words.push(carry as u32);
        }
    }
    let bytes: Vec<u8> = words.iter().rev().flat_map(|w| w.to_be_bytes()).collect();
    fixed_len(&bytes, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decimal formatting agrees with Rust's own for values up to 128 bits.
    #[test]
    fn decimal_matches_u128_formatting() {
        let samples = [
            0u128,
            1,
            9,
            10,
            999_999_999,
            1_000_000_000,
            u64::MAX as u128,
            u64::MAX as u128 + 1,
            10u128.pow(27),
            10u128.pow(27) - 1,
            u128::MAX,
            0x0123_4567_89ab_cdef_fedc_ba98_7654_3210,
        ];
        for value in samples {
            let bytes = value.to_be_bytes();
            assert_eq!(decimal(&bytes), value.to_string(), "{value}");
            assert_eq!(
                decimal(&bytes[3..]),
                (value & (u128::MAX >> 24)).to_string()
            );
            let parsed = parse_decimal(&value.to_string(), 16).unwrap();
            assert_eq!(parsed, bytes, "{value}");
        }
    }

    /// Parsing into too few bytes reports that the value does not fit.
    #[test]
    fn parse_decimal_overflow() {
        assert_eq!(parse_decimal("65535", 2), Some(vec![0xff, 0xff]));
        assert_eq!(parse_decimal("65536", 2), None);
        assert_eq!(parse_decimal("000065535", 2), Some(vec![0xff, 0xff]));
    }

    /// The toy group's modulus and range helpers give the numbers one can check by hand.
    #[test]
    fn toy_helpers() {
        assert_eq!(Group::Toy.modulus_be_bytes(), 1999u16.to_be_bytes());
        assert_eq!(sub_small(&[0x01, 0x00], 2), vec![0x00, 0xfe]);
        assert!(Group::Toy.in_exchange_range(&2u16.to_be_bytes()));
        assert!(Group::Toy.in_exchange_range(&1997u16.to_be_bytes()));
        assert!(!Group::Toy.in_exchange_range(&1u16.to_be_bytes()));
        assert!(!Group::Toy.in_exchange_range(&1998u16.to_be_bytes()));
    }

    /// A walk's step `k` is the key pair of exponent `x + k`: its public value, and the
    /// secret it agrees with the peer; `at(k)` lands on the same numbers as `k` steps.
    #[test]
    fn walk_steps_are_the_next_exponents() {
        for group in [Group::Toy, Group::Ffdhe2048] {
            let start = KeyPair::from_private_be(group, &[5]).unwrap();
            let peer = KeyPair::from_private_be(group, &[77]).unwrap();
            let mut walk = Walk::new(&start, peer.public());
            for k in 0..4u8 {
                let expected = KeyPair::from_private_be(group, &[5 + k]).unwrap();
                assert_eq!(walk.steps(), u64::from(k));
                assert_eq!(
                    walk.value().as_ref(),
                    Ok(expected.public()),
                    "{group} k = {k}"
                );
                assert_eq!(
                    walk.secret(),
                    expected.agree(peer.public()),
                    "{group} k = {k}"
                );
                let jumped = walk.at(u64::from(k));
                assert_eq!(jumped.value(), walk.value());
                assert_eq!(jumped.secret(), walk.secret());
                walk.step();
            }
        }
    }

    /// In the toy group `g` has order 999: the walk comes round after 999 steps, passing the
    /// degenerate value 1 on the way, which it refuses to hand out.
    #[test]
    fn toy_walk_comes_round() {
        let start = KeyPair::from_private_be(Group::Toy, &[2]).unwrap();
        let peer = KeyPair::from_private_be(Group::Toy, &[3]).unwrap();
        let mut walk = Walk::new(&start, peer.public());
        let mut degenerate = 0;
        while !walk.back_at_start() {
            degenerate += usize::from(walk.value().is_err());
            walk.step();
            assert!(walk.steps() <= 999, "never came round");
        }
        assert_eq!(walk.steps(), 999);
        assert_eq!(degenerate, 1, "g^999 = 1 once per round");
    }

    /// Modular exponentiation in the toy group matches plain integer arithmetic.
    #[test]
    fn toy_mod_pow_matches_u64() {
        for x in [2u64, 3, 500, 998, 1000, 1997] {
            let mut expected = 1u64;
            for _ in 0..x {
                expected = expected * u64::from(TOY_G) % TOY_P;
            }
            let got = Group::Toy.mod_pow(&(TOY_G as u16).to_be_bytes(), &(x as u16).to_be_bytes());
            assert_eq!(got, (expected as u16).to_be_bytes(), "x = {x}");
        }
    }
}
