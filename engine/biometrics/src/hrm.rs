//! The Heart Rate Measurement characteristic (0x2A37) of the Bluetooth
//! Heart Rate Service (0x180D), decoded without allocating and without
//! panicking on any input.
//!
//! Layout (Bluetooth GATT Specification Supplement, "Heart Rate Measurement"):
//!
//! | byte(s) | field |
//! | --- | --- |
//! | 0 | flags: bit 0 HR format (0 = u8, 1 = u16 LE); bits 1–2 sensor contact; bit 3 energy expended present; bit 4 RR intervals present; bits 5–7 reserved |
//! | 1 or 1–2 | heart rate, bpm |
//! | next 2 | energy expended, kJ, u16 LE (when bit 3) |
//! | rest | RR intervals, u16 LE each, units of 1/1024 s, oldest first (when bit 4) |
//!
//! Sensor contact: bits 1–2 both clear (0b00) or only bit 1 set (0b01) mean
//! the feature is *not supported* — not "no contact"; 0b10 means supported
//! but not detected; 0b11 supported and detected.

use arrayvec::ArrayVec;
use serde::Serialize;

/// The largest attribute value ATT can carry (Core spec, Vol 3 Part F 3.2.9).
/// Longer packets cannot come from a conforming strap and are rejected.
pub const MAX_PACKET_LEN: usize = 512;

/// The most RR intervals one packet can hold: (512 − 2) / 2 with an 8-bit
/// heart rate and no energy field.
pub const MAX_RR_PER_PACKET: usize = (MAX_PACKET_LEN - 2) / 2;

/// Whether the strap reports skin contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorContact {
    /// The strap does not support contact detection (flag bits 1–2 are 0b00 or 0b01).
    NotSupported,
    /// Supported, and the strap is not touching skin.
    NotDetected,
    /// Supported, and the strap is on.
    Detected,
}

/// One decoded Heart Rate Measurement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeartRateMeasurement {
    /// The flags byte as sent.
    pub flags: u8,
    /// Heart rate in beats per minute, as the strap computed it (0 may mean
    /// "no reading"; plausibility is the estimator's job, not the decoder's).
    pub bpm: u16,
    /// Skin contact.
    pub contact: SensorContact,
    /// Cumulative energy expended in kJ, when present.
    pub energy_kj: Option<u16>,
    /// RR intervals in units of 1/1024 s, oldest first.
    pub rr_1024: ArrayVec<u16, MAX_RR_PER_PACKET>,
}

impl HeartRateMeasurement {
    /// RR intervals in milliseconds, oldest first.
    pub fn rr_ms(&self) -> impl Iterator<Item = f64> + '_ {
        self.rr_1024.iter().map(|&r| rr_to_ms(r))
    }

    /// Encodes the measurement back into a 0x2A37 payload (the inverse of
    /// [`decode`], used by simulators and tests). `flags` bit 0 decides the
    /// heart-rate width; reserved bits are kept.
    pub fn encode(&self) -> ArrayVec<u8, MAX_PACKET_LEN> {
        let mut out = ArrayVec::new();
        let mut flags = self.flags & !(0x01 | 0x06 | 0x08 | 0x10);
        let wide = self.flags & 0x01 != 0 || self.bpm > 255;
        if wide {
            flags |= 0x01;
        }
        flags |= match self.contact {
            SensorContact::NotSupported => self.flags & 0x02,
            SensorContact::NotDetected => 0x04,
            SensorContact::Detected => 0x06,
        };
        if self.energy_kj.is_some() {
            flags |= 0x08;
        }
        if !self.rr_1024.is_empty() {
            flags |= 0x10;
        }
        out.push(flags);
        if wide {
            out.extend(self.bpm.to_le_bytes());
        } else {
            out.push(self.bpm as u8);
        }
        if let Some(e) = self.energy_kj {
            out.extend(e.to_le_bytes());
        }
        for r in &self.rr_1024 {
            if out.len() + 2 > MAX_PACKET_LEN {
                break;
            }
            out.extend(r.to_le_bytes());
        }
        out
    }
}

/// Converts an RR interval from 1/1024 s units to milliseconds.
pub fn rr_to_ms(rr_1024: u16) -> f64 {
    f64::from(rr_1024) * 1000.0 / 1024.0
}

/// Why a payload is not a valid Heart Rate Measurement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Zero bytes.
    #[error("empty packet: a Heart Rate Measurement has at least a flags byte and a heart rate")]
    Empty,
    /// The packet ends inside a field.
    #[error("truncated packet: {field} needs bytes {start}..{end} but the packet has {len} bytes")]
    Truncated {
        /// The field that did not fit.
        field: &'static str,
        /// First byte of the field.
        start: usize,
        /// One past its last byte.
        end: usize,
        /// The packet's length.
        len: usize,
    },
    /// Bytes left over after the last field the flags announce.
    #[error("over-long packet: {extra} byte(s) after the last field at offset {at} (flags 0x{flags:02x} announce no RR intervals)")]
    TrailingBytes {
        /// Flags byte.
        flags: u8,
        /// Offset of the first extra byte.
        at: usize,
        /// How many.
        extra: usize,
    },
    /// The RR field is not a whole number of u16 values.
    #[error("RR intervals do not fit: {bytes} byte(s) from offset {at} is not a whole number of 2-byte intervals")]
    RrOddLength {
        /// Offset of the RR field.
        at: usize,
        /// Its length.
        bytes: usize,
    },
    /// Longer than ATT allows.
    #[error("over-long packet: {len} bytes, more than the {max}-byte ATT attribute limit")]
    TooLong {
        /// The packet's length.
        len: usize,
        /// The limit.
        max: usize,
    },
}

fn take<const N: usize>(p: &[u8], at: usize, field: &'static str) -> Result<[u8; N], DecodeError> {
    p.get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or(DecodeError::Truncated {
            field,
            start: at,
            end: at + N,
            len: p.len(),
        })
}

/// Decodes one 0x2A37 payload. Never panics, never allocates.
///
/// An RR flag with no RR bytes is accepted as "no intervals in this packet"
/// (some straps send that between beats).
pub fn decode(p: &[u8]) -> Result<HeartRateMeasurement, DecodeError> {
    if p.is_empty() {
        return Err(DecodeError::Empty);
    }
    if p.len() > MAX_PACKET_LEN {
        return Err(DecodeError::TooLong {
            len: p.len(),
            max: MAX_PACKET_LEN,
        });
    }
    let flags = p[0];
    let mut at = 1;
    let bpm = if flags & 0x01 != 0 {
        let b = u16::from_le_bytes(take::<2>(p, at, "heart rate (u16)")?);
        at += 2;
        b
    } else {
        let [b] = take::<1>(p, at, "heart rate (u8)")?;
        at += 1;
        u16::from(b)
    };
    let contact = match (flags >> 1) & 0x03 {
        0b10 => SensorContact::NotDetected,
        0b11 => SensorContact::Detected,
        _ => SensorContact::NotSupported,
    };
    let energy_kj = if flags & 0x08 != 0 {
        let e = u16::from_le_bytes(take::<2>(p, at, "energy expended")?);
        at += 2;
        Some(e)
    } else {
        None
    };
    let mut rr_1024 = ArrayVec::new();
    if flags & 0x10 != 0 {
        let rest = &p[at..];
        if rest.len() % 2 != 0 {
            return Err(DecodeError::RrOddLength {
                at,
                bytes: rest.len(),
            });
        }
        for pair in rest.chunks_exact(2) {
            // Cannot overflow: len ≤ 512 ⇒ at most MAX_RR_PER_PACKET pairs.
            rr_1024.push(u16::from_le_bytes([pair[0], pair[1]]));
        }
    } else if at < p.len() {
        return Err(DecodeError::TrailingBytes {
            flags,
            at,
            extra: p.len() - at,
        });
    }
    Ok(HeartRateMeasurement {
        flags,
        bpm,
        contact,
        energy_kj,
        rr_1024,
    })
}

/// Parses hex such as `"16 48 55 03"`, `"0x16,0x48"` or `"16480355"` into bytes.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let mut digits = String::with_capacity(s.len());
    for tok in s.split(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == '-') {
        let tok = tok
            .strip_prefix("0x")
            .or_else(|| tok.strip_prefix("0X"))
            .unwrap_or(tok);
        digits.push_str(tok);
    }
    if let Some((i, c)) = digits.char_indices().find(|(_, c)| !c.is_ascii_hexdigit()) {
        return Err(format!("'{c}' at digit {} is not a hex digit", i + 1));
    }
    if digits.len() % 2 != 0 {
        return Err(format!(
            "{} hex digits is not a whole number of bytes",
            digits.len()
        ));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn u8_heart_rate_without_extras() {
        let m = decode(&[0x00, 60]).unwrap();
        assert_eq!(m.bpm, 60);
        assert_eq!(m.contact, SensorContact::NotSupported);
        assert_eq!(m.energy_kj, None);
        assert!(m.rr_1024.is_empty());
    }

    #[test]
    fn u16_heart_rate_energy_and_rr() {
        // flags: u16 | contact detected | energy | RR
        let m = decode(&[0x1f, 0x2c, 0x01, 0xd2, 0x04, 0x00, 0x04, 0x55, 0x03]).unwrap();
        assert_eq!(m.bpm, 300);
        assert_eq!(m.contact, SensorContact::Detected);
        assert_eq!(m.energy_kj, Some(1234));
        assert_eq!(m.rr_1024.as_slice(), &[1024, 853]);
        let ms: Vec<f64> = m.rr_ms().collect();
        assert_eq!(ms[0], 1000.0);
        assert!((ms[1] - 833.0).abs() < 0.01);
    }

    #[test]
    fn contact_bits_both_clear_mean_not_supported_not_no_contact() {
        assert_eq!(
            decode(&[0x00, 70]).unwrap().contact,
            SensorContact::NotSupported
        );
        assert_eq!(
            decode(&[0x02, 70]).unwrap().contact,
            SensorContact::NotSupported
        );
        assert_eq!(
            decode(&[0x04, 70]).unwrap().contact,
            SensorContact::NotDetected
        );
        assert_eq!(
            decode(&[0x06, 70]).unwrap().contact,
            SensorContact::Detected
        );
    }

    #[test]
    fn several_rr_intervals_oldest_first() {
        let m = decode(&[0x10, 80, 0x00, 0x03, 0x10, 0x03, 0x20, 0x03]).unwrap();
        assert_eq!(m.rr_1024.as_slice(), &[0x300, 0x310, 0x320]);
    }

    #[test]
    fn rr_flag_with_no_intervals_is_accepted_as_none() {
        assert!(decode(&[0x10, 80]).unwrap().rr_1024.is_empty());
    }

    #[test]
    fn bad_packets_are_errors() {
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        assert!(matches!(
            decode(&[0x00]),
            Err(DecodeError::Truncated {
                field: "heart rate (u8)",
                ..
            })
        ));
        assert!(matches!(
            decode(&[0x01, 0x50]),
            Err(DecodeError::Truncated {
                field: "heart rate (u16)",
                ..
            })
        ));
        assert!(matches!(
            decode(&[0x08, 70, 1]),
            Err(DecodeError::Truncated {
                field: "energy expended",
                ..
            })
        ));
        assert!(matches!(
            decode(&[0x10, 70, 1, 2, 3]),
            Err(DecodeError::RrOddLength { at: 2, bytes: 3 })
        ));
        assert!(matches!(
            decode(&[0x00, 70, 9]),
            Err(DecodeError::TrailingBytes {
                at: 2,
                extra: 1,
                ..
            })
        ));
        let long = vec![0x10; MAX_PACKET_LEN + 1];
        assert!(matches!(decode(&long), Err(DecodeError::TooLong { .. })));
        // The longest legal packet decodes to the most RR intervals.
        let mut max = vec![0x10, 70];
        max.resize(MAX_PACKET_LEN, 4);
        assert_eq!(decode(&max).unwrap().rr_1024.len(), MAX_RR_PER_PACKET);
    }

    #[test]
    fn errors_say_where() {
        let e = decode(&[0x10, 70, 1, 2, 3]).unwrap_err().to_string();
        assert!(e.contains("offset 2"), "{e}");
    }

    #[test]
    fn hex_parsing() {
        assert_eq!(
            parse_hex("16 48 55 03").unwrap(),
            vec![0x16, 0x48, 0x55, 0x03]
        );
        assert_eq!(parse_hex("0x16,0x48").unwrap(), vec![0x16, 0x48]);
        assert_eq!(parse_hex("1648").unwrap(), vec![0x16, 0x48]);
        assert!(parse_hex("164").unwrap_err().contains("whole number"));
        assert!(parse_hex("zz").unwrap_err().contains("not a hex digit"));
    }

    fn measurement() -> impl Strategy<Value = HeartRateMeasurement> {
        (
            any::<bool>(),
            any::<u16>(),
            0u8..4,
            proptest::option::of(any::<u16>()),
            proptest::collection::vec(any::<u16>(), 0..12),
            0u8..8,
        )
            .prop_map(|(wide, bpm, contact_bits, energy_kj, rr, reserved)| {
                let bpm = if wide { bpm } else { bpm & 0xff };
                let contact = match contact_bits {
                    2 => SensorContact::NotDetected,
                    3 => SensorContact::Detected,
                    _ => SensorContact::NotSupported,
                };
                let flags = (reserved << 5) | u8::from(wide) | (contact_bits << 1);
                HeartRateMeasurement {
                    flags,
                    bpm,
                    contact,
                    energy_kj,
                    rr_1024: rr.into_iter().collect(),
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// Any byte string decodes or errors; it never panics.
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = decode(&bytes);
        }

        /// Encoding then decoding gives back the same measurement.
        #[test]
        fn round_trips(m in measurement()) {
            let bytes = m.encode();
            let back = decode(&bytes).unwrap();
            prop_assert_eq!(back.bpm, m.bpm);
            prop_assert_eq!(back.contact, m.contact);
            prop_assert_eq!(back.energy_kj, m.energy_kj);
            prop_assert_eq!(back.rr_1024, m.rr_1024);
            prop_assert_eq!(back.flags >> 5, m.flags >> 5);
        }

        /// Cutting a valid packet short is always an error (except inside the
        /// RR list at a whole interval), and never a panic.
        #[test]
        fn truncation_is_an_error(m in measurement(), cut in 0usize..40) {
            let bytes = m.encode();
            let cut = cut.min(bytes.len());
            let short = &bytes[..bytes.len() - cut];
            match decode(short) {
                Ok(d) => {
                    // Only whole RR intervals may be dropped.
                    prop_assert!(cut % 2 == 0);
                    prop_assert!(d.rr_1024.len() * 2 + cut == m.rr_1024.len() * 2);
                }
                Err(_) => prop_assert!(cut > 0),
            }
        }

        /// Extra bytes after a packet without RR intervals are an error.
        #[test]
        fn trailing_bytes_are_an_error(m in measurement(), extra in proptest::collection::vec(any::<u8>(), 1..4)) {
            let mut m = m;
            m.rr_1024.clear();
            let mut bytes = m.encode().to_vec();
            bytes.extend(extra);
            let is_trailing = matches!(decode(&bytes), Err(DecodeError::TrailingBytes { .. }));
            prop_assert!(is_trailing);
        }
    }
}
