//! The heart recording format (CSV) — read for replay, written by
//! `showrunner sensors record`. Documented in `docs/heart-format.md`.
//!
//! ```text
//! # Showrunner heart recording v1          ← `#` lines and blank lines are comments
//! t,hr,rr,contact                          ← header: `t` required; hr, rr, contact optional, any order
//! 0.000,72,833.0;845.2,yes                 ← t in s; hr bpm; rr ms, `;`-separated, oldest first
//! 1.020,73,,                               ← empty fields: not reported
//! 4.100,,,lost                             ← the strap dropped out
//! ```

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use crate::event::{EventKind, SensorContact, SensorEvent, RR_PER_READING};

/// A bad recording file: where and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ReplayError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when the file could not be read at all).
    pub line: usize,
    /// What is wrong and what to do.
    pub message: String,
}

#[derive(Clone, Copy, PartialEq)]
enum Col {
    T,
    Hr,
    Rr,
    Contact,
}

/// Parses a whole recording into events, checking every line first so a bad
/// line is reported before anything plays.
pub fn parse(text: &str, file: &str) -> Result<Vec<SensorEvent>, ReplayError> {
    let err = |line: usize, message: String| ReplayError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut cols: Option<Vec<Col>> = None;
    let mut out = Vec::new();
    let mut last_t = f64::NEG_INFINITY;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let Some(cols) = &cols else {
            let mut parsed = Vec::new();
            for f in &fields {
                let c = match *f {
                    "t" => Col::T,
                    "hr" => Col::Hr,
                    "rr" => Col::Rr,
                    "contact" => Col::Contact,
                    other => {
                        return Err(err(
                            n,
                            format!("unknown column '{other}' in the header; columns are t, hr, rr, contact"),
                        ))
                    }
                };
                if parsed.contains(&c) {
                    return Err(err(n, format!("column '{f}' appears twice in the header")));
                }
                parsed.push(c);
            }
            if !parsed.contains(&Col::T) {
                return Err(err(
                    n,
                    "the header must name a 't' column (expected a header like 't,hr,rr,contact' before the data)".into(),
                ));
            }
            cols = Some(parsed);
            continue;
        };
        if fields.len() != cols.len() {
            return Err(err(
                n,
                format!(
                    "{} field(s), but the header has {} columns",
                    fields.len(),
                    cols.len()
                ),
            ));
        }
        let mut t = None;
        let mut bpm = None;
        let mut rr: Vec<f32> = Vec::new();
        let mut contact = SensorContact::NotSupported;
        let mut lost = false;
        for (c, f) in cols.iter().zip(&fields) {
            match c {
                Col::T => {
                    let v: f64 = f
                        .parse()
                        .map_err(|_| err(n, format!("t '{f}' is not a number of seconds")))?;
                    if !v.is_finite() || v < 0.0 {
                        return Err(err(n, format!("t {f} must be a finite, non-negative number of seconds")));
                    }
                    t = Some(v);
                }
                Col::Hr if f.is_empty() => {}
                Col::Hr => {
                    bpm = Some(f.parse::<u16>().map_err(|_| {
                        err(n, format!("hr '{f}' is not a whole number of beats per minute (0..=65535)"))
                    })?)
                }
                Col::Rr if f.is_empty() => {}
                Col::Rr => {
                    for (k, part) in f.split(';').enumerate() {
                        let v: f32 = part.trim().parse().map_err(|_| {
                            err(n, format!("rr value {} '{part}' is not a number of milliseconds", k + 1))
                        })?;
                        if !v.is_finite() || v < 0.0 {
                            return Err(err(n, format!("rr value {} {part} must be finite and non-negative", k + 1)));
                        }
                        rr.push(v);
                    }
                }
                Col::Contact => {
                    contact = match *f {
                        "" => SensorContact::NotSupported,
                        "yes" => SensorContact::Detected,
                        "no" => SensorContact::NotDetected,
                        "lost" => {
                            lost = true;
                            SensorContact::NotSupported
                        }
                        other => {
                            return Err(err(
                                n,
                                format!("contact '{other}' is not one of: yes, no, lost, or empty (not supported)"),
                            ))
                        }
                    }
                }
            }
        }
        let t = t.expect("t column is required by the header check");
        if t < last_t {
            return Err(err(
                n,
                format!("t {t} goes back in time (the previous row was at {last_t})"),
            ));
        }
        last_t = t;
        if lost {
            if bpm.is_some() || !rr.is_empty() {
                return Err(err(n, "a 'lost' row must have empty hr and rr".into()));
            }
            out.push(SensorEvent {
                t,
                kind: EventKind::Disconnected,
            });
            continue;
        }
        if bpm.is_none() && rr.is_empty() && contact == SensorContact::NotSupported {
            return Err(err(n, "the row has neither hr, rr nor contact".into()));
        }
        if rr.is_empty() {
            out.push(SensorEvent::reading(t, bpm, contact, &[]));
        }
        for chunk in rr.chunks(RR_PER_READING) {
            out.push(SensorEvent::reading(t, bpm, contact, chunk));
        }
    }
    if cols.is_none() {
        return Err(err(
            0,
            "no header and no data: expected a 't,hr,rr,contact' header".into(),
        ));
    }
    Ok(out)
}

/// Reads and parses a recording file.
pub fn load(path: &Path) -> Result<Vec<SensorEvent>, ReplayError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ReplayError {
        file: file.clone(),
        line: 0,
        message: format!("cannot read the heart recording: {e}"),
    })?;
    parse(&text, &file)
}

/// Writes events in the recording format.
pub struct HeartWriter<W: Write> {
    out: W,
    line: String,
}

impl<W: Write> HeartWriter<W> {
    /// Writes the header.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(
            b"# Showrunner heart recording v1 (docs/heart-format.md)\nt,hr,rr,contact\n",
        )?;
        Ok(Self {
            out,
            line: String::new(),
        })
    }

    /// Appends one event (connection changes and errors become comments).
    pub fn write(&mut self, e: &SensorEvent) -> io::Result<()> {
        self.line.clear();
        let l = &mut self.line;
        match &e.kind {
            EventKind::Reading(r) => {
                let _ = write!(l, "{:.4},", e.t);
                if let Some(b) = r.bpm {
                    let _ = write!(l, "{b}");
                }
                l.push(',');
                for (i, v) in r.rr_ms.iter().enumerate() {
                    if i > 0 {
                        l.push(';');
                    }
                    let _ = write!(l, "{v:.3}");
                }
                l.push_str(match r.contact {
                    SensorContact::Detected => ",yes\n",
                    SensorContact::NotDetected => ",no\n",
                    SensorContact::NotSupported => ",\n",
                });
            }
            EventKind::Disconnected => {
                let _ = writeln!(l, "{:.4},,,lost", e.t);
            }
            EventKind::Connected(s) => {
                let _ = writeln!(
                    l,
                    "# {:.4} connected: {} ({}), location {:?}, battery {:?}",
                    e.t, s.name, s.address, s.location, s.battery
                );
            }
            EventKind::Battery { percent } => {
                let _ = writeln!(l, "# {:.4} battery {percent}%", e.t);
            }
            EventKind::Malformed { error } => {
                let _ = writeln!(l, "# {:.4} malformed packet: {error}", e.t);
            }
            EventKind::Ended { reason } => {
                let _ = writeln!(l, "# {:.4} ended: {reason}", e.t);
            }
        }
        self.out.write_all(self.line.as_bytes())
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_comments() {
        let ev = parse(
            "# hi\n\nt,hr,rr,contact\n0.5,72,833.0;845.5,yes\n1.0,73,,\n2,,,lost\n3,,900,no\n",
            "x.csv",
        )
        .unwrap();
        assert_eq!(ev.len(), 4);
        match &ev[0].kind {
            EventKind::Reading(r) => {
                assert_eq!(r.bpm, Some(72));
                assert_eq!(r.rr_ms.as_slice(), &[833.0, 845.5]);
                assert_eq!(r.contact, SensorContact::Detected);
            }
            k => panic!("{k:?}"),
        }
        assert_eq!(ev[2].kind, EventKind::Disconnected);
    }

    #[test]
    fn columns_in_any_order_and_rr_only() {
        let ev = parse("rr,t\n800,0.8\n810,1.61\n", "x").unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[1].t, 1.61);
    }

    #[test]
    fn bad_lines_name_the_line() {
        let cases = [
            ("t,hr\n1,abc\n", ":2:", "hr 'abc'"),
            ("t,hr\n1,70\n0.5,70\n", ":3:", "back in time"),
            ("t,hr\n1\n", ":2:", "field(s)"),
            ("t,bpm\n", ":1:", "unknown column 'bpm'"),
            ("hr\n70\n", ":1:", "'t' column"),
            ("t,rr\n1,800;x\n", ":2:", "rr value 2"),
            ("t,contact\n1,maybe\n", ":2:", "contact 'maybe'"),
            ("t,hr,contact\n1,70,lost\n", ":2:", "'lost' row"),
            ("t,hr\nnan,70\n", ":2:", "finite"),
            ("", ":0:", "no header"),
        ];
        for (text, at, what) in cases {
            let e = parse(text, "f.csv").unwrap_err().to_string();
            assert!(
                e.starts_with("f.csv") && e.contains(at) && e.contains(what),
                "{text:?} → {e}"
            );
        }
    }

    #[test]
    fn long_rr_lists_split_into_readings() {
        let rr: Vec<String> = (0..20).map(|i| format!("{}", 800 + i)).collect();
        let ev = parse(&format!("t,rr\n1,{}\n", rr.join(";")), "x").unwrap();
        assert_eq!(ev.len(), 3);
    }

    #[test]
    fn writer_round_trips() {
        let evs = vec![
            SensorEvent::reading(0.25, Some(70), SensorContact::Detected, &[850.0, 860.5]),
            SensorEvent::reading(1.25, None, SensorContact::NotSupported, &[870.0]),
            SensorEvent::reading(1.5, Some(71), SensorContact::NotDetected, &[]),
            SensorEvent {
                t: 2.0,
                kind: EventKind::Disconnected,
            },
        ];
        let mut w = HeartWriter::new(Vec::new()).unwrap();
        for e in &evs {
            w.write(e).unwrap();
        }
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(parse(&text, "x").unwrap(), evs);
    }
}
