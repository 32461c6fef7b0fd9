//! Pairing: the operator's secrets, made at the first `festival serve`, and what each seat is
//! given by `festival pair`. Every file here is for its owner only (mode 0600) and written
//! atomically; every error names the file and what to do.
//!
//! The operator's folder (`festival serve --dir`):
//! - `operator.json`: the operator's key, its broker password and the console's token;
//! - `seats/NAME.json`: each paired seat's key and broker password.
//!
//! A seat's pairing file (`NAME.pairing.json`, copied to the headset): its name, its key, its
//! broker password and the operator's key (to check the operator's commands).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Key, SeatName};

/// The operator's secrets.
#[derive(Debug, Clone)]
pub struct OperatorSecrets {
    /// Signs the operator's commands and cues.
    pub key: Key,
    /// The broker's password for the user `operator`.
    pub password: String,
    /// What the console asks of a browser.
    pub console_token: String,
}

/// What a seat is given by pairing.
#[derive(Debug, Clone)]
pub struct SeatPairing {
    /// Its name.
    pub seat: SeatName,
    /// Its key (signs its status, acks, samples and votes).
    pub key: Key,
    /// The operator's key (checks the operator's commands).
    pub operator_key: Key,
    /// The broker's password for the user `seat.NAME` ([`user_of`]).
    pub password: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorFile {
    v: u32,
    key: String,
    password: String,
    console_token: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeatFile {
    v: u32,
    seat: String,
    key: String,
    password: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairingFile {
    v: u32,
    seat: String,
    key: String,
    operator_key: String,
    password: String,
}

/// A random secret: 32 hex digits (128 bits).
fn secret() -> Result<String, String> {
    Ok(Key::generate().map_err(|e| e.to_string())?.to_hex()[..32].to_owned())
}

fn read<T: for<'de> Deserialize<'de>>(path: &Path, what: &str) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read the {what}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{}, line {}, column {}: not a {what} ({e}); pair again with `showrunner festival pair`",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn key(path: &Path, field: &str, hex: &str) -> Result<Key, String> {
    Key::from_hex(hex).map_err(|e| format!("{}: `{field}`: {e}", path.display()))
}

fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), String> {
    let mut bytes = serde_json::to_vec_pretty(value).expect("pairing files serialize");
    bytes.push(b'\n');
    showrunner_persist::write_private(path, &bytes).map_err(|e| e.to_string())
}

/// The operator's folder of secrets.
#[derive(Debug, Clone)]
pub struct Pairings {
    dir: PathBuf,
}

impl Pairings {
    /// Opens `dir`, making the operator's secrets when there are none yet: `true` with them
    /// when they were made now (say them once to the operator).
    pub fn open(dir: &Path) -> Result<(Self, OperatorSecrets, bool), String> {
        std::fs::create_dir_all(dir.join("seats"))
            .map_err(|e| format!("{}: cannot make the folder: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let path = dir.join("operator.json");
        let me = Self {
            dir: dir.to_owned(),
        };
        if path.exists() {
            let f: OperatorFile = read(&path, "operator's secrets file")?;
            return Ok((
                me,
                OperatorSecrets {
                    key: key(&path, "key", &f.key)?,
                    password: f.password,
                    console_token: f.console_token,
                },
                false,
            ));
        }
        let secrets = OperatorSecrets {
            key: Key::generate().map_err(|e| e.to_string())?,
            password: secret()?,
            console_token: secret()?,
        };
        write(
            &path,
            &OperatorFile {
                v: 1,
                key: secrets.key.to_hex(),
                password: secrets.password.clone(),
                console_token: secrets.console_token.clone(),
            },
        )?;
        Ok((me, secrets, true))
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn seat_path(&self, seat: &SeatName) -> PathBuf {
        self.dir.join("seats").join(format!("{seat}.json"))
    }

    /// Pairs `seat` (again: a new key and password, the old ones no longer work) and returns
    /// what to give it.
    pub fn pair(&self, seat: &SeatName, operator: &OperatorSecrets) -> Result<SeatPairing, String> {
        let p = SeatPairing {
            seat: seat.clone(),
            key: Key::generate().map_err(|e| e.to_string())?,
            operator_key: operator.key.clone(),
            password: secret()?,
        };
        write(
            &self.seat_path(seat),
            &SeatFile {
                v: 1,
                seat: seat.to_string(),
                key: p.key.to_hex(),
                password: p.password.clone(),
            },
        )?;
        Ok(p)
    }

    /// A paired seat's key and broker password (`None` when it is not paired).
    pub fn seat(&self, seat: &SeatName) -> Result<Option<(Key, String)>, String> {
        let path = self.seat_path(seat);
        if !path.exists() {
            return Ok(None);
        }
        let f: SeatFile = read(&path, "seat's pairing record")?;
        Ok(Some((key(&path, "key", &f.key)?, f.password)))
    }

    /// The seats paired, by name.
    pub fn seats(&self) -> Vec<SeatName> {
        let mut out: Vec<SeatName> = std::fs::read_dir(self.dir.join("seats"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                SeatName::new(name.strip_suffix(".json")?).ok()
            })
            .collect();
        out.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        out
    }
}

impl SeatPairing {
    /// Reads a seat's pairing file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let f: PairingFile = read(path, "seat's pairing file")?;
        Ok(Self {
            seat: SeatName::new(&f.seat).map_err(|e| format!("{}: `seat`: {e}", path.display()))?,
            key: key(path, "key", &f.key)?,
            operator_key: key(path, "operator_key", &f.operator_key)?,
            password: f.password,
        })
    }

    /// Writes it (mode 0600) for the seat.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        write(
            path,
            &PairingFile {
                v: 1,
                seat: self.seat.to_string(),
                key: self.key.to_hex(),
                operator_key: self.operator_key.to_hex(),
                password: self.password.clone(),
            },
        )
    }
}

/// The broker's user name for `who`: `operator`, or `seat.NAME` for a seat (also its client
/// id). Not `seat:NAME` as in the envelope: Mosquitto's password file cannot hold a `:` in a
/// name.
pub fn user_of(who: &crate::Sender) -> String {
    match who {
        crate::Sender::Operator => "operator".into(),
        crate::Sender::Seat(name) => format!("seat.{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_made_once_private_and_seats_pair_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("venue");
        let (p, op, made) = Pairings::open(&d).unwrap();
        assert!(made);
        let (_, again, made) = Pairings::open(&d).unwrap();
        assert!(!made);
        assert_eq!(again.key, op.key);
        assert_eq!(again.console_token, op.console_token);
        let seat = SeatName::new("seat-1").unwrap();
        assert_eq!(p.seat(&seat).unwrap(), None.map(|k: (Key, String)| k));
        let first = p.pair(&seat, &op).unwrap();
        let file = dir.path().join("seat-1.pairing.json");
        first.save(&file).unwrap();
        let back = SeatPairing::load(&file).unwrap();
        assert_eq!(
            (back.key.clone(), back.password.clone()),
            p.seat(&seat).unwrap().unwrap()
        );
        assert_eq!(back.operator_key, op.key);
        // Pairing again changes the seat's secrets.
        let second = p.pair(&seat, &op).unwrap();
        assert_ne!(second.key, first.key);
        assert_eq!(p.seats(), vec![seat]);
        #[cfg(unix)]
        for f in [
            d.join("operator.json"),
            d.join("seats/seat-1.json"),
            file.clone(),
        ] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", f.display());
        }
        // A damaged file is named, with the place.
        std::fs::write(&file, "{\"v\":1,").unwrap();
        let e = SeatPairing::load(&file).unwrap_err();
        assert!(
            e.contains("seat-1.pairing.json, line 1") && e.contains("pair again"),
            "{e}"
        );
    }
}
