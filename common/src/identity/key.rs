//! One long-term identity key (Ed25519): made on first use, kept private, named by a fingerprint.
//!
//! Ed25519 because signatures are small (64 bytes, one line of base64), verifying is fast, and
//! keys are 32 bytes, so a whole public key fits a chat line or an mDNS TXT record.
//!
//! The file holds two lines, and is refused if others may read it (see [`super::store`]):
//!
//! ```text
//! labchat identity v1
//! secret <the 32-byte Ed25519 secret seed in standard base64>
//! ```
//!
//! A fingerprint is what people read aloud or write on a board: the first 16 bytes of
//! `SHA-256("labchat v1 fingerprint|" || public key)`, as 8 groups of 4 lowercase hex digits
//! joined by `-`. When parsing one, case, `-`, `:` and spaces are ignored.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::store::{self, StoreError};

const FILE_HEADER: &str = "labchat identity v1";
const FINGERPRINT_LABEL: &[u8] = b"labchat v1 fingerprint|";

/// What went wrong loading or making an identity.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// The folder or file could not be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file is not an identity file.
    #[error("{path} is not a labchat identity file ({why}); move it away to make a new identity, or give --identity FILE")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// A person's or a server's identity: the secret signing key.
pub struct Identity {
    signing: SigningKey,
}

impl fmt::Debug for Identity {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Identity({})", self.public().fingerprint())
    }
}

impl Identity {
    /// The default identity file: `identity` in [`store::config_dir`].
    pub fn default_path() -> Result<PathBuf, StoreError> {
        Ok(store::config_dir()?.join("identity"))
    }

    /// The default identity file of a server: `server-identity` in [`store::config_dir`]
    /// (a person who runs a server and a client on one account keeps two keys).
    pub fn default_server_path() -> Result<PathBuf, StoreError> {
        Ok(store::config_dir()?.join("server-identity"))
    }

    /// A fresh identity from the OS random source (not saved).
    pub fn generate() -> Self {
        Identity {
            signing: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// The identity with this 32-byte secret seed (for worked examples and tests).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Identity {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Loads the identity in `path`, or makes one and saves it there (0600, in a folder made
    /// 0700 if missing) when the file does not exist. The flag says whether it was made now.
    /// A file others may read, or a folder others may write, is refused (ssh's rule).
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), IdentityError> {
        if let Some(parent) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            if parent.exists() {
                store::check_folder(parent)?;
            }
        }
        if let Some(text) = store::read_private(path)? {
            return Self::parse(&text)
                .map(|identity| (identity, false))
                .map_err(|why| IdentityError::Malformed {
                    path: path.display().to_string(),
                    why,
                });
        }
        let identity = Self::generate();
        store::write_private(path, &identity.to_file_text())?;
        Ok((identity, true))
    }

    fn parse(text: &str) -> Result<Self, &'static str> {
        let mut lines = text.lines();
        if lines.next().map(str::trim) != Some(FILE_HEADER) {
            return Err("its first line is not 'labchat identity v1'");
        }
        let seed = lines
            .find_map(|line| line.trim().strip_prefix("secret "))
            .ok_or("it has no 'secret' line")?;
        let bytes = STANDARD
            .decode(seed.trim())
            .map_err(|_| "its secret is not base64")?;
        let seed: [u8; 32] = bytes.try_into().map_err(|_| "its secret is not 32 bytes")?;
        Ok(Self::from_seed(seed))
    }

    fn to_file_text(&self) -> String {
        format!(
            "{FILE_HEADER}\nsecret {}\n",
            STANDARD.encode(self.signing.to_bytes())
        )
    }

    /// The public half, which others pin.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key().to_bytes())
    }

    /// Signs `message` (Ed25519, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// An Ed25519 public key, 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PublicKey(pub [u8; 32]);

impl fmt::Debug for PublicKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "PublicKey({})", self.fingerprint())
    }
}

impl PublicKey {
    /// The key in standard base64 (44 characters), as it is written in files and on the wire.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads a key written by [`PublicKey::to_base64`]; `None` if it is not one.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = STANDARD.decode(text).ok()?;
        let key = PublicKey(bytes.try_into().ok()?);
        // The canonical spelling only, so that one key has one text.
        (key.to_base64() == text).then_some(key)
    }

    /// The fingerprint people compare.
    pub fn fingerprint(&self) -> Fingerprint {
        let digest = Sha256::new()
            .chain_update(FINGERPRINT_LABEL)
            .chain_update(self.0)
            .finalize();
        let mut bytes = [0; 16];
        bytes.copy_from_slice(&digest[..16]);
        Fingerprint(bytes)
    }

    /// Whether `signature` is this key's signature of `message` (strict RFC 8032 checks: no
    /// weak keys, no malleable signatures).
    pub fn verifies(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.0) else {
            return false;
        };
        key.verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

/// The first 16 bytes of a key's labelled SHA-256 hash: what people compare and write down.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 16]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, pair) in self.0.chunks(2).enumerate() {
            if index > 0 {
                formatter.write_str("-")?;
            }
            write!(formatter, "{:02x}{:02x}", pair[0], pair[1])?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Fingerprint({self})")
    }
}

impl Fingerprint {
    /// Reads a fingerprint as a person might write it: 32 hex digits, any case, with or without
    /// `-`, `:` or spaces between them. `None` if it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|byte| !matches!(byte, b'-' | b':' | b' '))
            .collect();
        if digits.len() != 32 {
            return None;
        }
        let mut bytes = [0; 16];
        for (index, pair) in digits.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).ok()?;
            bytes[index] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Fingerprint(bytes))
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let alice = Identity::generate();
        let mallory = Identity::generate();
        let signature = alice.sign(b"transcript");
        assert!(alice.public().verifies(b"transcript", &signature));
        assert!(!alice.public().verifies(b"transcripT", &signature));
        assert!(!mallory.public().verifies(b"transcript", &signature));
        let mut bent = signature;
        bent[10] ^= 1;
        assert!(!alice.public().verifies(b"transcript", &bent));
    }

    #[test]
    fn rfc_8032_test_1() {
        // RFC 8032, section 7.1, TEST 1: the empty message.
        let seed = hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let identity = Identity::from_seed(seed.try_into().unwrap());
        assert_eq!(
            identity.public().0.to_vec(),
            hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let signature = identity.sign(b"");
        assert_eq!(
            signature.to_vec(),
            hex(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                 5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )
        );
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|index| u8::from_str_radix(&text[index..index + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn fingerprints_read_back_however_written() {
        let key = Identity::generate().public();
        let printed = key.fingerprint().to_string();
        assert_eq!(printed.len(), 39, "{printed}");
        assert_eq!(Fingerprint::parse(&printed), Some(key.fingerprint()));
        let loose = printed.to_uppercase().replace('-', ":");
        assert_eq!(Fingerprint::parse(&loose), Some(key.fingerprint()));
        assert_eq!(Fingerprint::parse(&printed[..30]), None);
        assert_eq!(
            Fingerprint::parse(&printed.replace('a', "g")).is_none(),
            printed.contains('a')
        );
    }

    #[test]
    fn public_keys_have_one_spelling() {
        let key = Identity::generate().public();
        assert_eq!(PublicKey::from_base64(&key.to_base64()), Some(key));
        assert_eq!(PublicKey::from_base64("AAAA"), None);
        assert_eq!(
            PublicKey::from_base64(&format!(" {}", key.to_base64())),
            None
        );
    }

    #[test]
    fn made_once_then_loaded() {
        let dir = std::env::temp_dir().join(format!("labchat-key-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("labchat").join("identity");
        let (made, created) = Identity::load_or_create(&path).unwrap();
        assert!(created);
        let (loaded, created) = Identity::load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(made.public(), loaded.public());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let error = Identity::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("chmod 600"), "{error}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, "not a key\n").unwrap();
        let error = Identity::load_or_create(&path).unwrap_err().to_string();
        assert!(error.contains("not a labchat identity file"), "{error}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
