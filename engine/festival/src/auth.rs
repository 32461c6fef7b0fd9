//! Only the operator commands: every message carries an authentication code made with its
//! sender's key (HMAC-SHA256 over the topic and the payload), which the receiver checks
//! whatever the broker lets through. The code travels beside the payload, in the MQTT 5 user
//! property [`MAC_PROPERTY`], so the payload is signed byte for byte as it was sent. Keys come
//! from pairing: the operator's key is given to every seat, each seat's own to the operator.

use std::fmt;
use std::io::Read;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The MQTT 5 user property that carries a message's authentication code.
pub const MAC_PROPERTY: &str = "mac";

/// A sender's key: 32 random bytes (64 hex digits in a key file). `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(…)")
    }
}

impl Key {
    /// A new key from the system's randomness (`/dev/urandom`).
    pub fn generate() -> std::io::Result<Self> {
        let mut k = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut k))
            .map_err(|e| std::io::Error::new(e.kind(), format!("/dev/urandom: {e}")))?;
        Ok(Self(k))
    }

    /// Reads 64 hex digits (surrounding white space ignored); `Err` says what a key is.
    pub fn from_hex(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "a key is 64 hex digits (32 bytes), not {} characters",
                t.len()
            )
        };
        if t.len() != 64 {
            return Err(bad());
        }
        let mut k = [0u8; 32];
        for (i, byte) in k.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(t.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16).map_err(|_| {
                    format!(
                        "a key is 64 hex digits; `{}` is not hex",
                        &t[2 * i..2 * i + 2]
                    )
                })?;
        }
        Ok(Self(k))
    }

    /// The key as 64 hex digits (for its file, mode 0600).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn mac(&self, topic: &str, payload: &[u8]) -> Hmac<Sha256> {
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        // The topic is part of what is signed (a message cannot be moved to another seat's
        // topic); the 0 byte keeps topic and payload apart.
        m.update(topic.as_bytes());
        m.update(&[0]);
        m.update(payload);
        m
    }

    /// The authentication code of `payload` published on `topic`: 64 hex digits.
    pub fn sign(&self, topic: &str, payload: &[u8]) -> String {
        self.mac(topic, payload)
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `mac` is this key's code for `payload` on `topic` (compared in constant time).
    pub fn verify(&self, topic: &str, payload: &[u8], mac: Option<&str>) -> Result<(), String> {
        let Some(mac) = mac else {
            return Err(format!(
                "topic `{}`: no authentication code (the `{MAC_PROPERTY}` property); refused: pair the sender with `showrunner festival pair`",
                topic.escape_default()
            ));
        };
        let bytes: Option<Vec<u8>> = (0..mac.len() / 2)
            .map(|i| {
                mac.get(2 * i..2 * i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        match bytes {
            Some(b) if mac.len() == 64 && self.mac(topic, payload).verify_slice(&b).is_ok() => Ok(()),
            _ => Err(format!(
                "topic `{}`: the authentication code does not match the sender's key; refused (a forged or altered message, or a seat paired with another operator)",
                topic.escape_default()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOPIC: &str = "showrunner/v1/seat/seat-1/command";
    const PAYLOAD: &[u8] = br#"{"v":1,"from":"operator","seq":3,"body":{"do":"reset"}}"#;

    #[test]
    fn only_the_key_that_signed_a_message_passes_it() {
        let operator = Key::generate().unwrap();
        let seat = Key::generate().unwrap();
        assert_ne!(operator, seat);
        let mac = operator.sign(TOPIC, PAYLOAD);
        assert_eq!(mac.len(), 64);
        operator.verify(TOPIC, PAYLOAD, Some(&mac)).unwrap();
        // Another key (a seat posing as the operator), an altered payload, another seat's
        // topic, no code, a code that is not hex: all refused, and said so.
        for (key, topic, payload, mac) in [
            (&seat, TOPIC, PAYLOAD, Some(mac.as_str())),
            (
                &operator,
                TOPIC,
                &br#"{"v":1,"from":"operator","seq":3,"body":{"do":"pause"}}"#[..],
                Some(mac.as_str()),
            ),
            (
                &operator,
                "showrunner/v1/seat/seat-2/command",
                PAYLOAD,
                Some(mac.as_str()),
            ),
            (&operator, TOPIC, PAYLOAD, None),
            (&operator, TOPIC, PAYLOAD, Some("zz")),
        ] {
            let e = key.verify(topic, payload, mac).unwrap_err();
            assert!(e.contains("refused"), "{e}");
        }
        // Its file form reads back; a short or non-hex one is named.
        assert_eq!(
            Key::from_hex(&format!("{}\n", operator.to_hex())).unwrap(),
            operator
        );
        assert!(Key::from_hex("abc").unwrap_err().contains("64 hex digits"));
        assert!(Key::from_hex(&"g".repeat(64))
            .unwrap_err()
            .contains("not hex"));
        assert_eq!(format!("{operator:?}"), "Key(…)");
    }

    proptest! {
        /// Whatever arrives as a code or a key file, checking it never panics.
        #[test]
        fn any_code_or_key_text_never_panics(mac in ".{0,80}", key in ".{0,80}") {
            let k = Key::from_hex(&"ab".repeat(32)).unwrap();
            let _ = k.verify(TOPIC, PAYLOAD, Some(&mac));
            let _ = Key::from_hex(&key);
        }
    }
}
