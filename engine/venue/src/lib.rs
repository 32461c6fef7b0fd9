//! The festival operator's side (`festival serve`): the embedded MQTT 5 broker ([`broker`]),
//! or the configuration of the venue's Mosquitto with topic ACLs ([`mosquitto`]),
//! show control to the venue's desks over OSC ([`osc`]), the shared film's host ([`shared`]), what the operator knows of the room ([`Room`]: each seat's status, alarms, the record of
//! screenings) and the loop that runs them with the console's API ([`serve()`]).
//! The protocol and the link are `showrunner-festival`'s; the seats' side is the app's
//! `play --festival`.

pub mod broker;
pub mod mosquitto;
mod operator;
pub mod osc;
mod serve;
pub mod shared;

pub use operator::{Alarm, Room, Screening, SeatView, Sent, SILENT_MS};
pub use serve::{serve, ConsoleCommand, ServeArgs, SharedArgs};
