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
//! The shared film (`festival serve --shared`) is sent the same way under `/showrunner/shared/`
//! (`beat`, `palette`, `intensity`, `decision`), with `/showrunner/shared/choice` (`i` the
//! option, `s` `vote` or `director`) when its choice is taken.
//!
//! Sending never waits (UDP); a desk that is not there costs nothing.

use std::net::{SocketAddr, UdpSocket};

use rosc::{encoder, OscMessage, OscPacket, OscType};
use showrunner_festival::{FilmState, SeatStatus, SharedCue};

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
        let was = before.map(|b| (b.beat, b.film.as_ref()));
        self.film(&at(""), was, (now.beat, &now.knot), now.film.as_ref());
    }

    /// Sends what changed in the shared film (`/showrunner/shared/...`): its beat, palette,
    /// intensity and decision as a seat's are sent, and each choice taken
    /// (`/showrunner/shared/choice`: `i` option, `s` `vote` or `director`).
    pub fn shared(&mut self, before: Option<&SharedCue>, now: &SharedCue) {
        let film = |c: &SharedCue| FilmState {
            palette: c.director.palette.clone(),
            intensity: c.director.intensity,
            decision: c.director.decision.clone(),
        };
        let was_film = before.map(film);
        let was = before.map(|b| (b.beat, was_film.as_ref()));
        self.film(
            "/showrunner/shared/",
            was,
            (now.beat, &now.knot),
            Some(&film(now)),
        );
        if let Some(ch) = &now.chose {
            if before.is_none_or(|b| b.chose.as_ref() != Some(ch)) {
                self.send(
                    "/showrunner/shared/choice".into(),
                    vec![
                        OscType::Int(i32::try_from(ch.index).unwrap_or(i32::MAX)),
                        OscType::String(ch.by.clone()),
                    ],
                );
            }
        }
    }

    /// A film's beat, palette, intensity and decision under `prefix`, where they changed
    /// from `was` (the beat before and the film then, if any).
    fn film(
        &mut self,
        prefix: &str,
        was: Option<(u64, Option<&FilmState>)>,
        (beat, knot): (u64, &str),
        film: Option<&FilmState>,
    ) {
        if beat > 0 && was.is_none_or(|(b, _)| b != beat) {
            self.send(
                format!("{prefix}beat"),
                vec![
                    OscType::Int(i32::try_from(beat).unwrap_or(i32::MAX)),
                    OscType::String(knot.to_owned()),
                ],
            );
        }
        let Some(film) = film else { return };
        let was = was.and_then(|(_, f)| f);
        if was.is_none_or(|w| w.palette != film.palette) {
            self.send(
                format!("{prefix}palette"),
                vec![OscType::String(film.palette.clone())],
            );
        }
        if was.is_none_or(|w| (w.intensity - film.intensity).abs() >= 0.01) {
            self.send(
                format!("{prefix}intensity"),
                vec![OscType::Float(film.intensity)],
            );
        }
        if !film.decision.is_empty() && was.is_none_or(|w| w.decision != film.decision) {
            self.send(
                format!("{prefix}decision"),
                vec![OscType::String(film.decision.clone())],
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use showrunner_festival::SeatState;
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

    #[test]
    fn a_desk_receives_the_shared_film_and_its_choices() {
        let desk = UdpSocket::bind("127.0.0.1:0").unwrap();
        desk.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut out = ShowControl::new(desk.local_addr().unwrap()).unwrap();
        let first = SharedCue {
            film: 1,
            story: "a.ink".into(),
            epoch_ms: 0,
            at_s: 9.0,
            beat: 5,
            start_s: 9.0,
            knot: "cliff".into(),
            text: String::new(),
            tags: vec![],
            staged: vec![],
            choices: vec!["Jump".into(), "Stay".into()],
            chose: None,
            director: showrunner_festival::SharedDirector {
                mode: "engaged".into(),
                palette: "dusk".into(),
                grade: showrunner_festival::Grade::NEUTRAL,
                intensity: 0.5,
                refine_strength: 0.0,
                decision: String::new(),
            },
            paused: false,
            ended: false,
            outcome: None,
        };
        let mut chosen = first.clone();
        chosen.chose = Some(showrunner_festival::SharedChoice {
            index: 1,
            by: "vote".into(),
            votes: vec![1, 4],
            fates: vec![],
        });
        out.shared(None, &first);
        out.shared(Some(&first), &chosen);
        let mut got = Vec::new();
        let mut buf = [0u8; 1536];
        while let Ok(n) = desk.recv(&mut buf) {
            let (_, OscPacket::Message(m)) = rosc::decoder::decode_udp(&buf[..n]).unwrap() else {
                panic!("a bundle")
            };
            got.push((m.addr, m.args));
            if got.len() == 4 {
                break;
            }
        }
        let addrs: Vec<&str> = got.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            addrs,
            [
                "/showrunner/shared/beat",
                "/showrunner/shared/palette",
                "/showrunner/shared/intensity",
                "/showrunner/shared/choice",
            ]
        );
        assert_eq!(got[3].1, [OscType::Int(1), OscType::String("vote".into())]);
    }
}
