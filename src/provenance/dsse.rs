//! DSSE (Dead Simple Signing Envelope), v1: the payload travels base64-encoded, and each
//! signature is over the pre-authentication encoding (PAE) of the payload type and the payload
//! bytes, so that neither can be swapped without breaking it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

/// A DSSE envelope as JSON carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload_type: String,
    /// The payload, base64 (standard alphabet, padded).
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
    /// The signature, base64.
    pub sig: String,
}

/// `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out =
        format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The key id mlx gives an ed25519 public key: the SHA-256 of its 32 bytes, in hex.
pub fn key_id(key: &VerifyingKey) -> String {
    super::sha256_hex(key.as_bytes())
}

/// An envelope around `payload`, signed with `key`.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let sig = key.sign(&pae(payload_type, payload));
    Envelope {
        payload_type: payload_type.to_owned(),
        payload: STANDARD.encode(payload),
        signatures: vec![EnvelopeSignature {
            keyid: key_id(&key.verifying_key()),
            sig: STANDARD.encode(sig.to_bytes()),
        }],
    }
}

impl Envelope {
    /// The payload's bytes; `None` when it is not valid base64.
    pub fn payload_bytes(&self) -> Option<Vec<u8>> {
        STANDARD.decode(self.payload.trim()).ok()
    }

    /// The index of the first signature `key` made over this payload, if any.
    pub fn signed_by(&self, key: &VerifyingKey) -> Option<usize> {
        let payload = self.payload_bytes()?;
        let message = pae(&self.payload_type, &payload);
        self.signatures.iter().position(|s| {
            let Ok(bytes) = STANDARD.decode(s.sig.trim()) else { return false };
            let Ok(sig) = Signature::from_slice(&bytes) else { return false };
            key.verify_strict(&message, &sig).is_ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec() {
        // The example from DSSE's protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn sign_then_check_and_tamper() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let mut env = sign("application/vnd.in-toto+json", b"{\"a\":1}", &key);
        assert_eq!(env.signed_by(&key.verifying_key()), Some(0));
        let other = SigningKey::from_bytes(&[8u8; 32]);
        assert_eq!(env.signed_by(&other.verifying_key()), None);
        env.payload = STANDARD.encode(b"{\"a\":2}");
        assert_eq!(env.signed_by(&key.verifying_key()), None);
    }
}
