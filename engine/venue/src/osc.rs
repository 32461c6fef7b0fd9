//! Show control out: OSC over UDP (rosc) to the venue's lighting and sound desks. For each
//! seat, what changed in its status, as it arrives:
//!
//! | address | arguments | when |
//! | --- | --- | --- |
//! | `/showrunner/seat/NAME/state` | `s` state (`waiting`, `playing`, …) | the state changes |
//! | `/showrunner/seat/NAME/beat` | `i` beat, `s` knot | a beat begins |
//! | `/showrunner/seat/NAME/palette` | `s` palette | the film's palette changes |
//! | `/showrunner/seat/NAME/intensity` | `f` 0 ..= 1 | the director's intensity moves by 0.01 or more |
//! | `/showrunner/seat/NAME/decision` | `s` the director's decision | a new decision |
//!
//! Sending never waits (UDP); a desk that is not there costs nothing.

use std::net::{SocketAddr, UdpSocket};

use rosc::{encoder, OscMessage, OscPacket, OscType};
use showrunner_festival::SeatStatus;

/// Where show control goes.
pub struct ShowControl {
    socket: UdpSocket,
    target: SocketAddr,
    /// Packets that could not be sent (the network refused them).
    pub failed: u64,
}

impl ShowControl {
    /// Sends to `target` (a desk's OSC port) from an ephemeral port.
    pub fn new(target: SocketAddr) -> std::io::Result<Self> {
        let bind: SocketAddr = if target.is_ipv4() {
            "0.0.0.0:0".parse().expect("an address")
        } else {
            "[::]:0".parse().expect("an address")
        };
        let socket = UdpSocket::bind(bind)?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            target,
            failed: 0,
        })
    }

    fn send(&mut self, addr: String, args: Vec<OscType>) {
        let packet = OscPacket::Message(OscMessage { addr, args });
        match encoder::encode(&packet) {
            Ok(bytes) if self.socket.send_to(&bytes, self.target).is_ok() => {}
            _ => self.failed += 1,
        }
    }

    /// Sends what changed from `before` (the seat's last status, if any) to `now`.
    pub fn status(&mut self, seat: &str, before: Option<&SeatStatus>, now: &SeatStatus) {
        let at = |what: &str| format!("/showrunner/seat/{seat}/{what}");
        if before.is_none_or(|b| b.state != now.state) {
            let state = serde_json::to_value(now.state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            self.send(at("state"), vec![OscType::String(state)]);
        }
        if now.beat > 0 && before.is_none_or(|b| b.beat != now.beat) {
            self.send(
                at("beat"),
                vec![
                    OscType::Int(i32::try_from(now.beat).unwrap_or(i32::MAX)),
                    OscType::String(now.knot.clone()),
                ],
            );
        }
        let Some(film) = &now.film else { return };
        let was = before.and_then(|b| b.film.as_ref());
        if was.is_none_or(|w| w.palette != film.palette) {
            self.send(at("palette"), vec![OscType::String(film.palette.clone())]);
        }
        if was.is_none_or(|w| (w.intensity - film.intensity).abs() >= 0.01) {
            self.send(at("intensity"), vec![OscType::Float(film.intensity)]);
        }
        if !film.decision.is_empty() && was.is_none_or(|w| w.decision != film.decision) {
            self.send(at("decision"), vec![OscType::String(film.decision.clone())]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_festival::{FilmState, SeatState};
    use std::time::Duration;

    fn status(state: SeatState, beat: u64, palette: &str, intensity: f32) -> SeatStatus {
        SeatStatus {
            beat,
            knot: format!("k{beat}"),
            film: Some(FilmState {
                palette: palette.into(),
                intensity,
                decision: format!("hold at {intensity}"),
            }),
            ..SeatStatus::idle(state)
        }
    }

    #[test]
    fn a_desk_receives_what_changed_as_osc() {
        let desk = UdpSocket::bind("127.0.0.1:0").unwrap();
        desk.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut out = ShowControl::new(desk.local_addr().unwrap()).unwrap();
        let first = status(SeatState::Playing, 3, "storm", 0.4);
        out.status("seat-1", None, &first);
        // Only the beat and the intensity move.
        let second = status(SeatState::Playing, 4, "storm", 0.7);
        out.status("seat-1", Some(&first), &second);
        let mut got = Vec::new();
        let mut buf = [0u8; 1536];
        while let Ok(n) = desk.recv(&mut buf) {
            let (_, packet) = rosc::decoder::decode_udp(&buf[..n]).unwrap();
            let OscPacket::Message(m) = packet else {
                panic!("a bundle")
            };
            got.push((m.addr, m.args));
            if got.len() == 8 {
                break;
            }
        }
        let addrs: Vec<&str> = got.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "/showrunner/seat/seat-1/state",
                "/showrunner/seat/seat-1/beat",
                "/showrunner/seat/seat-1/palette",
                "/showrunner/seat/seat-1/intensity",
                "/showrunner/seat/seat-1/decision",
                "/showrunner/seat/seat-1/beat",
                "/showrunner/seat/seat-1/intensity",
                "/showrunner/seat/seat-1/decision",
            ]
        );
        assert_eq!(got[0].1, [OscType::String("playing".into())]);
        assert_eq!(got[5].1, [OscType::Int(4), OscType::String("k4".into())]);
        assert_eq!(got[6].1, [OscType::Float(0.7)]);
        assert_eq!(out.failed, 0);
    }
}
