//! Cinematic directives: the ink tags an author writes to stage a story.
//!
//! One directive per tag, written `key: value` (see `docs/story-format.md`).
//! Tags whose key starts with `x-` are the author's own notes and are ignored.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Every directive key the grammar knows, in documentation order.
pub const DIRECTIVE_KEYS: [&str; 15] = [
    "scene",
    "view",
    "shot",
    "palette",
    "palette_def",
    "intensity",
    "stakes",
    "fate",
    "cast",
    "ending",
    "sfx",
    "extend",
    "extend_cast",
    "extend_scene",
    "extend_palette",
];

/// The longest premise an `extend:` tag may give, in characters: a premise is a sentence for
/// the writer, not a script.
pub const MAX_PREMISE_CHARS: usize = 200;

/// A parsed cinematic directive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Directive {
    /// `scene: NAME` — the set the following beats play in.
    Scene(String),
    /// `view: NAME` — where the viewer watches from: a vantage the set names (a `view:NAME`
    /// node), reached through a fade, never by moving the viewer's eyes.
    View(String),
    /// `shot: SECONDS` — how long this beat stays on screen before pacing.
    Shot(f32),
    /// `palette: NAME` — the colour palette the grade moves toward.
    Palette(Palette),
    /// `palette_def: NAME = warm W, saturation S, exposure E, contrast C` — a palette of the
    /// story's own (a global tag), which `palette: NAME` then names.
    PaletteDef(PaletteDef),
    /// `intensity: 0..1` — the author's dramatic intensity for the beat or choice.
    Intensity(f32),
    /// `stakes: high|low` — on knots and choices.
    Stakes(Stakes),
    /// `fate: CHARACTER=alive|dead`.
    Fate {
        /// The character, as named in `cast:` tags and fate tags.
        character: String,
        /// Whether this beat or choice keeps them alive.
        fate: Fate,
    },
    /// `cast: ROLE=ACTOR` — which actor model plays a role.
    Cast {
        /// The role in the story.
        role: String,
        /// The actor (asset) that plays it.
        actor: String,
    },
    /// `ending: NAME` — this beat is (part of) the named ending.
    Ending(String),
    /// `sfx: NAME` or `sfx: NAME@ACTOR` — play the sound effect `NAME` (a
    /// file `assets/sounds/sfx/NAME.{wav,ogg,flac}`) when the beat starts:
    /// around the viewer, or from where `ACTOR` stands.
    Sfx {
        /// The sound's name.
        name: String,
        /// The character it sounds from; `None` plays it unpositioned.
        at: Option<String>,
    },
    /// `extend: PREMISE` — on a knot's first line: the story may grow here. An episode written
    /// for the premise may play just before the knot, then the knot plays as written.
    Extend(String),
    /// `extend_cast: ROLE, ROLE` — the characters an episode at this extension point may give
    /// lines to (roles of `cast:` tags); none: narration only.
    ExtendCast(Vec<String>),
    /// `extend_scene: NAME, NAME` — the sets an episode here may play in; none: the knot's own
    /// `scene:`.
    ExtendScene(Vec<String>),
    /// `extend_palette: NAME, NAME` — the palettes an episode here may grade with; none: the
    /// knot's own.
    /// (Names as written, each a built-in palette or one of the story's own.)
    ExtendPalette(Vec<String>),
}

/// High or low stakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stakes {
    /// Something the viewer cares about is at risk.
    High,
    /// A breather.
    Low,
}

/// A character's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// The character lives.
    Alive,
    /// The character dies.
    Dead,
}

impl fmt::Display for Fate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fate::Alive => "alive",
            Fate::Dead => "dead",
        })
    }
}

macro_rules! palettes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal),+ $(,)?) => {
        /// A named colour palette. The director turns it into a grade target.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
        #[serde(rename_all = "snake_case")]
        pub enum Palette {
            $($(#[$doc])* $variant,)+
            /// A palette the story defines (`palette_def:`), by its place in the story's list.
            Custom(u16),
        }
        impl Palette {
            /// Every built-in palette, in documentation order.
            pub const ALL: &'static [Palette] = &[$(Palette::$variant),+];
            /// The palette's name as written in a `palette:` tag (a story's own palettes are
            /// named by the story: [`PaletteDef::name`]).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Palette::$variant => $name,)+
                    Palette::Custom(_) => "story-defined",
                }
            }
        }
    };
}

palettes! {
    /// No grade: the render as lit.
    #[default]
    Neutral => "neutral",
    /// Soft pink-gold morning.
    Dawn => "dawn",
    /// Clean daylight.
    Day => "day",
    /// Warm, low-contrast evening.
    Dusk => "dusk",
    /// Cool, dark blue night.
    Night => "night",
    /// Desaturated high contrast.
    Noir => "noir",
    /// Hot orange firelight.
    Ember => "ember",
    /// Cold green-grey storm.
    Storm => "storm",
    /// Pale, cold blue.
    Ice => "ice",
    /// Lush greens.
    Verdant => "verdant",
    /// Bleach bypass: washed out, harsh.
    Bleach => "bleach",
}

impl FromStr for Palette {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Palette::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or(())
    }
}

/// A palette of the story's own: its name and the grade it asks for (from neutral: warmth 0,
/// saturation 1, exposure 0 EV, contrast 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PaletteDef {
    /// The name `palette:` tags use.
    pub name: String,
    /// The grade it asks for.
    pub grade: crate::Grade,
}

impl PaletteDef {
    /// The fields a definition may set, with their ranges.
    pub const FIELDS: &'static str =
        "warm -1..=1, saturation 0..=2, exposure -2..=2 (EV), contrast 0.5..=1.5";

    /// Parses `NAME = warm 0.6, saturation 0.9, exposure 0.2, contrast 1.1` (any fields, any
    /// order; those left out stay neutral).
    pub fn parse(value: &str) -> Result<Self, DirectiveError> {
        let (name, fields) = value.split_once('=').ok_or_else(|| {
            bad(
                "palette_def",
                value,
                &format!(
                    "expected `NAME = field value, ...` with fields {}",
                    Self::FIELDS
                ),
            )
        })?;
        let name = ident("palette_def", name.trim())?;
        if Palette::ALL.iter().any(|p| p.name() == name) {
            return Err(bad(
                "palette_def",
                value,
                &format!("`{name}` is a built-in palette; give yours another name"),
            ));
        }
        let mut grade = crate::Grade::NEUTRAL;
        for field in fields.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            let (key, v) = field.split_once(char::is_whitespace).ok_or_else(|| {
                bad(
                    "palette_def",
                    field,
                    &format!("expected `field value`, fields {}", Self::FIELDS),
                )
            })?;
            let v = v.trim();
            match key {
                "warm" | "warmth" => grade.warmth = number("palette_def warm", v, -1.0, 1.0)?,
                "saturation" => grade.saturation = number("palette_def saturation", v, 0.0, 2.0)?,
                "exposure" => grade.exposure_ev = number("palette_def exposure", v, -2.0, 2.0)?,
                "contrast" => grade.contrast = number("palette_def contrast", v, 0.5, 1.5)?,
                other => {
                    return Err(bad(
                        "palette_def",
                        other,
                        &format!("unknown field; the fields are {}", Self::FIELDS),
                    ))
                }
            }
        }
        Ok(Self { name, grade })
    }
}

/// Why a tag is not a valid directive. The message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    /// The tag has no `key: value` shape.
    #[error("tag `{tag}` is not a directive: write `key: value` (keys: {keys}) or start a free-form note with `x-`", keys = DIRECTIVE_KEYS.join(", "))]
    NotKeyValue {
        /// The tag text.
        tag: String,
    },
    /// The key is not one the grammar knows.
    #[error("unknown directive `{key}`{hint}; known directives are {keys}, and author notes start with `x-`", keys = DIRECTIVE_KEYS.join(", "))]
    UnknownKey {
        /// The key as written.
        key: String,
        /// ", did you mean `…`?" when a known key is close.
        hint: String,
    },
    /// The key is known but the value is not valid for it.
    #[error("`{key}: {value}`: {expected}")]
    BadValue {
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
}

fn is_ident(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn ident(key: &'static str, value: &str) -> Result<String, DirectiveError> {
    if is_ident(value) {
        Ok(value.to_owned())
    } else {
        Err(bad(
            key,
            value,
            "expected a name of letters, digits, `_` or `-`",
        ))
    }
}

fn bad(key: &'static str, value: &str, expected: &str) -> DirectiveError {
    DirectiveError::BadValue {
        key,
        value: value.to_owned(),
        expected: expected.to_owned(),
    }
}

fn number(key: &'static str, value: &str, lo: f32, hi: f32) -> Result<f32, DirectiveError> {
    match value.parse::<f32>() {
        Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(v),
        _ => Err(bad(
            key,
            value,
            &format!("expected a number from {lo} to {hi}"),
        )),
    }
}

/// `a, b, c`: one or more names.
fn list(key: &'static str, value: &str) -> Result<Vec<String>, DirectiveError> {
    let names: Vec<&str> = value.split(',').map(str::trim).collect();
    if names.iter().any(|n| !is_ident(n)) {
        return Err(bad(
            key,
            value,
            "expected names separated by commas, e.g. `mara, tomas`",
        ));
    }
    Ok(names.into_iter().map(str::to_owned).collect())
}

fn pair<'a>(
    key: &'static str,
    value: &'a str,
    shape: &str,
) -> Result<(&'a str, &'a str), DirectiveError> {
    let (a, b) = value
        .split_once('=')
        .ok_or_else(|| bad(key, value, &format!("expected `{shape}`")))?;
    Ok((a.trim(), b.trim()))
}

impl Directive {
    /// Parses one tag. `Ok(None)` for author notes (`x-…` keys).
    ///
    /// ```
    /// use showrunner_core::{Directive, Stakes};
    /// assert_eq!(Directive::parse("stakes: high"), Ok(Some(Directive::Stakes(Stakes::High))));
    /// assert_eq!(Directive::parse("x-note: lovely"), Ok(None));
    /// assert!(Directive::parse("stake: high").is_err());
    /// ```
    pub fn parse(tag: &str) -> Result<Option<Directive>, DirectiveError> {
        Self::parse_in(tag, &[] as &[&str])
    }

    /// [`Directive::parse`] in a story that defines `palettes` (`palette_def:`, in order):
    /// `palette: NAME` may name one of them ([`Palette::Custom`]).
    pub fn parse_in(
        tag: &str,
        palettes: &[impl AsRef<str>],
    ) -> Result<Option<Directive>, DirectiveError> {
        let tag = tag.trim();
        if tag.starts_with("x-") {
            return Ok(None);
        }
        let Some((key, value)) = tag.split_once(':') else {
            return Err(DirectiveError::NotKeyValue {
                tag: tag.to_owned(),
            });
        };
        let (key, value) = (key.trim(), value.trim());
        let d = match key {
            "scene" => Directive::Scene(ident("scene", value)?),
            "view" => Directive::View(ident("view", value)?),
            "shot" => Directive::Shot(number("shot", value, 0.5, 120.0)?),
            "palette" => Directive::Palette(match value.parse() {
                Ok(p) => p,
                Err(()) => match palettes.iter().position(|n| n.as_ref() == value) {
                    Some(i) => Palette::Custom(i as u16),
                    None => {
                        let builtin: Vec<_> = Palette::ALL.iter().map(|p| p.name()).collect();
                        let own: Vec<&str> = palettes.iter().map(AsRef::as_ref).collect();
                        return Err(bad(
                            "palette",
                            value,
                            &format!(
                                "expected a built-in palette ({}){}, or define it with a global tag `# palette_def: {value} = warm 0.5, saturation 1.1`",
                                builtin.join(", "),
                                if own.is_empty() {
                                    String::new()
                                } else {
                                    format!(" or one of this story's ({})", own.join(", "))
                                }
                            ),
                        ));
                    }
                },
            }),
            "palette_def" => Directive::PaletteDef(PaletteDef::parse(value)?),
            "intensity" => Directive::Intensity(number("intensity", value, 0.0, 1.0)?),
            "stakes" => Directive::Stakes(match value {
                "high" => Stakes::High,
                "low" => Stakes::Low,
                _ => return Err(bad("stakes", value, "expected `high` or `low`")),
            }),
            "fate" => {
                let (who, f) = pair("fate", value, "CHARACTER=alive|dead")?;
                let fate = match f {
                    "alive" => Fate::Alive,
                    "dead" => Fate::Dead,
                    _ => {
                        return Err(bad(
                            "fate",
                            value,
                            "expected `CHARACTER=alive` or `CHARACTER=dead`",
                        ))
                    }
                };
                Directive::Fate {
                    character: ident("fate", who)?,
                    fate,
                }
            }
            "cast" => {
                let (role, actor) = pair("cast", value, "ROLE=ACTOR")?;
                Directive::Cast {
                    role: ident("cast", role)?,
                    actor: ident("cast", actor)?,
                }
            }
            "ending" => Directive::Ending(ident("ending", value)?),
            "extend" => {
                let chars = value.chars().count();
                if chars == 0 || chars > MAX_PREMISE_CHARS {
                    return Err(bad(
                        "extend",
                        value,
                        &format!(
                            "expected a premise of 1 to {MAX_PREMISE_CHARS} characters, e.g. `extend: a storm cuts the power`"
                        ),
                    ));
                }
                Directive::Extend(value.to_owned())
            }
            "extend_cast" => Directive::ExtendCast(list("extend_cast", value)?),
            "extend_scene" => Directive::ExtendScene(list("extend_scene", value)?),
            "extend_palette" => {
                let names = list("extend_palette", value)?;
                for name in &names {
                    if let Err(DirectiveError::BadValue { expected, .. }) =
                        Directive::parse_in(&format!("palette: {name}"), palettes)
                    {
                        return Err(bad("extend_palette", name, &expected));
                    }
                }
                Directive::ExtendPalette(names)
            }
            "sfx" => match value.split_once('@') {
                Some((name, at)) => Directive::Sfx {
                    name: ident("sfx", name.trim())?,
                    at: Some(ident("sfx", at.trim())?),
                },
                None => Directive::Sfx {
                    name: ident("sfx", value)?,
                    at: None,
                },
            },
            _ => {
                let hint = DIRECTIVE_KEYS
                    .iter()
                    .map(|k| (strsim::levenshtein(k, key), k))
                    .min()
                    .filter(|(d, _)| *d <= 2)
                    .map(|(_, k)| format!(", did you mean `{k}`?"))
                    .unwrap_or_default();
                return Err(DirectiveError::UnknownKey {
                    key: key.to_owned(),
                    hint,
                });
            }
        };
        Ok(Some(d))
    }
}

impl fmt::Display for Directive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Directive::Scene(s) => write!(f, "scene: {s}"),
            Directive::View(v) => write!(f, "view: {v}"),
            Directive::Shot(s) => write!(f, "shot: {s}"),
            Directive::Palette(p) => write!(f, "palette: {}", p.name()),
            Directive::PaletteDef(d) => write!(
                f,
                "palette_def: {} = warm {}, saturation {}, exposure {}, contrast {}",
                d.name, d.grade.warmth, d.grade.saturation, d.grade.exposure_ev, d.grade.contrast
            ),
            Directive::Intensity(i) => write!(f, "intensity: {i}"),
            Directive::Stakes(Stakes::High) => f.write_str("stakes: high"),
            Directive::Stakes(Stakes::Low) => f.write_str("stakes: low"),
            Directive::Fate { character, fate } => write!(f, "fate: {character}={fate}"),
            Directive::Cast { role, actor } => write!(f, "cast: {role}={actor}"),
            Directive::Ending(e) => write!(f, "ending: {e}"),
            Directive::Sfx { name, at: None } => write!(f, "sfx: {name}"),
            Directive::Sfx { name, at: Some(a) } => write!(f, "sfx: {name}@{a}"),
            Directive::Extend(premise) => write!(f, "extend: {premise}"),
            Directive::ExtendCast(names) => write!(f, "extend_cast: {}", names.join(", ")),
            Directive::ExtendScene(names) => write!(f, "extend_scene: {}", names.join(", ")),
            Directive::ExtendPalette(names) => write!(f, "extend_palette: {}", names.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn extension_tags_say_what_is_wrong() {
        let long = format!("extend: {}", "a".repeat(MAX_PREMISE_CHARS + 1));
        for (tag, says) in [
            ("extend:", "a premise of 1 to 200"),
            (long.as_str(), "a premise of 1 to 200"),
            ("extend_cast: mara tomas", "names separated by commas"),
            ("extend_cast: mara,", "names separated by commas"),
            (
                "extend_palette: storm, plaid",
                "expected a built-in palette",
            ),
        ] {
            let e = Directive::parse(tag).unwrap_err().to_string();
            assert!(e.contains(says), "{tag}: {e}");
        }
        // A story's own palette is a palette an episode may use.
        assert_eq!(
            Directive::parse_in("extend_palette: brine", &["brine"]).unwrap(),
            Some(Directive::ExtendPalette(vec!["brine".into()]))
        );
    }

    #[test]
    fn parses_every_directive() {
        let cases = [
            ("scene: lamp_room", Directive::Scene("lamp_room".into())),
            ("shot: 6.5", Directive::Shot(6.5)),
            ("view: by_the_lens", Directive::View("by_the_lens".into())),
            ("palette: storm", Directive::Palette(Palette::Storm)),
            ("intensity:0.8", Directive::Intensity(0.8)),
            ("stakes: low", Directive::Stakes(Stakes::Low)),
            (
                "fate: mara = dead",
                Directive::Fate {
                    character: "mara".into(),
                    fate: Fate::Dead,
                },
            ),
            (
                "cast: keeper=mara",
                Directive::Cast {
                    role: "keeper".into(),
                    actor: "mara".into(),
                },
            ),
            ("ending: dawn", Directive::Ending("dawn".into())),
            (
                "sfx: door_slam",
                Directive::Sfx {
                    name: "door_slam".into(),
                    at: None,
                },
            ),
            (
                "sfx: footstep @ mara",
                Directive::Sfx {
                    name: "footstep".into(),
                    at: Some("mara".into()),
                },
            ),
            (
                "extend: a storm cuts the power",
                Directive::Extend("a storm cuts the power".into()),
            ),
            (
                "extend_cast: keeper, skipper",
                Directive::ExtendCast(vec!["keeper".into(), "skipper".into()]),
            ),
            (
                "extend_scene:lamp_room",
                Directive::ExtendScene(vec!["lamp_room".into()]),
            ),
            (
                "extend_palette: storm, dusk",
                Directive::ExtendPalette(vec!["storm".into(), "dusk".into()]),
            ),
        ];
        for (tag, want) in cases {
            let got = Directive::parse(tag).unwrap().unwrap();
            assert!(DIRECTIVE_KEYS.contains(&tag.split(':').next().unwrap().trim()));
            assert_eq!(got, want, "{tag}");
            // Display writes the canonical form, which parses back to the same.
            assert_eq!(Directive::parse(&got.to_string()).unwrap().unwrap(), want);
        }
    }

    #[test]
    fn errors_say_what_to_write() {
        let e = Directive::parse("stake: high").unwrap_err().to_string();
        assert!(e.contains("did you mean `stakes`"), "{e}");
        let e = Directive::parse("intensity: 1.5").unwrap_err().to_string();
        assert!(e.contains("from 0 to 1"), "{e}");
        let e = Directive::parse("palette: pink").unwrap_err().to_string();
        assert!(e.contains("noir"), "{e}");
        let e = Directive::parse("fate: mara").unwrap_err().to_string();
        assert!(e.contains("CHARACTER=alive|dead"), "{e}");
        let e = Directive::parse("just words").unwrap_err().to_string();
        assert!(e.contains("key: value"), "{e}");
        assert!(Directive::parse("shot: NaN").is_err());
        assert!(Directive::parse("scene: two words").is_err());
        let e = Directive::parse("sfx: door slam").unwrap_err().to_string();
        assert!(e.contains("`sfx: door slam`"), "{e}");
        assert!(Directive::parse("sfx: gull@").is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,64}") {
            let _ = Directive::parse(&s);
        }
    }
}
