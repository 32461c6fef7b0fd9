//! An OpenAI-compatible chat endpoint as a [`Writer`]: llama.cpp's server, Ollama, vLLM or a
//! hosted model, through `POST {url}/chat/completions`.
//!
//! The key comes from the environment ([`KEY_VARIABLES`]) and is never logged or shown. The
//! reply is read up to [`MAX_BODY_BYTES`] within [`Endpoint::timeout`]; anything else (a hang,
//! a huge or malformed reply, an error status) is a [`WriteError`] naming the endpoint.

use crate::{Message, WriteError, Writer};
use serde_json::{json, Value};
use std::time::Duration;

/// Where the key is read from, first found first: `SHOWRUNNER_GENERATOR_KEY`, then
/// `OPENAI_API_KEY`.
pub const KEY_VARIABLES: [&str; 2] = ["SHOWRUNNER_GENERATOR_KEY", "OPENAI_API_KEY"];

/// The most of a reply read, in bytes.
pub const MAX_BODY_BYTES: u64 = 256 * 1024;

/// The model asked for when none is given (servers of one model ignore it).
pub const DEFAULT_MODEL: &str = "default";

/// A client that gives up after `timeout`. With `tls`, https:// trusts the system's CAs (where
/// a proxy or a company signs with its own), else Mozilla's.
pub fn agent(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false);
    #[cfg(feature = "tls")]
    let config = {
        use ureq::tls::{Certificate, RootCerts, TlsConfig};
        let found = rustls_native_certs::load_native_certs();
        let certs: Vec<Certificate<'static>> = found
            .certs
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        if certs.is_empty() {
            config
        } else {
            config.tls_config(
                TlsConfig::builder()
                    .root_certs(RootCerts::Specific(std::sync::Arc::new(certs)))
                    .build(),
            )
        }
    };
    config.build().into()
}

/// An OpenAI-compatible chat endpoint.
pub struct Endpoint {
    url: String,
    model: String,
    key: Option<String>,
    agent: ureq::Agent,
    /// How long one reply may take, connection included.
    pub timeout: Duration,
    /// The most tokens a reply may have.
    pub max_tokens: u32,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("key", &self.key.as_ref().map(|_| "(set)"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Endpoint {
    /// An endpoint at `url` (its base: `http://localhost:8080/v1`, or the full
    /// `…/chat/completions`), asking for `model`, waiting at most `timeout` for a reply. The key
    /// is read from the environment now.
    pub fn new(url: &str, model: Option<&str>, timeout: Duration) -> Result<Self, WriteError> {
        let url = url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(WriteError::Unreachable(format!(
                "--generator {url}: expected an http:// or https:// address, e.g. http://localhost:8080/v1"
            )));
        }
        let url = if url.ends_with("/chat/completions") {
            url.to_owned()
        } else {
            format!("{url}/chat/completions")
        };
        let agent = agent(timeout);
        Ok(Self {
            url,
            model: model.unwrap_or(DEFAULT_MODEL).to_owned(),
            key: KEY_VARIABLES
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|k| !k.is_empty())),
            agent,
            timeout,
            max_tokens: 400,
        })
    }

    /// The chat completion's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The reply's words from a chat completion's JSON, or what is wrong with it.
pub fn reply_text(body: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| {
        format!(
            "the reply is not JSON (line {}, column {}: {e})",
            e.line(),
            e.column()
        )
    })?;
    if let Some(e) = v.get("error") {
        let said = e.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!(
            "the endpoint answered with an error: {}",
            said.chars().take(200).collect::<String>()
        ));
    }
    v.pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "the reply has no `choices[0].message.content` text: is this an OpenAI-compatible chat endpoint?".to_owned())
}

/// `url` as it may be logged: no `user:password@` and no query (where keys hide).
pub fn redacted(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or("");
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
            let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
            if path.is_empty() {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_owned(),
    }
}

impl Writer for Endpoint {
    fn model(&self) -> String {
        format!("{} at {}", self.model, redacted(&self.url))
    }

    fn complete(&mut self, chat: &[Message], seed: u64) -> Result<String, WriteError> {
        let body = json!({
            "model": self.model,
            "messages": chat.iter().map(|m| json!({"role": m.role, "content": m.content})).collect::<Vec<_>>(),
            "max_tokens": self.max_tokens,
            "temperature": 0.8,
            "seed": seed % (1 << 31),
            "stream": false,
        });
        let mut request = self.agent.post(&self.url).content_type("application/json");
        if let Some(key) = &self.key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let at = &redacted(&self.url);
        let mut response = request
            .send(body.to_string().as_bytes())
            .map_err(|e| WriteError::Unreachable(format!("{at}: {e}")))?;
        let status = response.status();
        let text = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_string()
            .map_err(|e| WriteError::BadReply(format!("{at}: reading the reply: {e}")))?;
        if !status.is_success() {
            let said: String = text.chars().take(200).collect();
            return Err(WriteError::BadReply(format!("{at}: HTTP {status}: {said}")));
        }
        reply_text(&text).map_err(|e| WriteError::BadReply(format!("{at}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write as _};
    use std::net::TcpListener;

    /// A one-shot HTTP server that answers `body` with `status` (or never, for `None`), and
    /// hands back the request it read.
    fn serve(status: u16, body: Option<String>) -> (String, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v1", listener.local_addr().unwrap());
        let h = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_millis(500)))
                .unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf) {
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got);
                if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if rest.len() >= len {
                        break;
                    }
                }
            }
            match body {
                Some(b) => {
                    let _ = write!(s, "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{b}", b.len());
                }
                None => std::thread::sleep(Duration::from_secs(3)),
            }
            String::from_utf8_lossy(&got).into_owned()
        });
        (url, h)
    }

    fn chat() -> Vec<Message> {
        vec![Message {
            role: "user",
            content: "Write.".into(),
        }]
    }

    #[test]
    fn a_chat_completion_is_asked_and_read() {
        let reply = json!({"choices": [{"message": {"role": "assistant", "content": "The lamp fails.\nMARA: Up."}}]});
        let (url, h) = serve(200, Some(reply.to_string()));
        let mut e = Endpoint::new(&url, Some("smol"), Duration::from_secs(5)).unwrap();
        e.key = Some("sk-secret".into());
        assert_eq!(
            e.complete(&chat(), 7).unwrap(),
            "The lamp fails.\nMARA: Up."
        );
        let asked = h.join().unwrap();
        assert!(asked.starts_with("POST /v1/chat/completions"), "{asked}");
        assert!(asked.contains("Bearer sk-secret"));
        assert!(asked.contains("\"model\":\"smol\"") && asked.contains("\"seed\":7"));
        // The key is never shown.
        assert!(!format!("{e:?}").contains("sk-secret"));
        assert!(!e.model().contains("sk-secret"));
    }

    #[test]
    fn bad_replies_are_errors_naming_the_endpoint() {
        for (status, body, says) in [
            (200, "not json".to_owned(), "not JSON"),
            (
                200,
                json!({"choices": []}).to_string(),
                "no `choices[0].message.content`",
            ),
            (
                200,
                json!({"error": {"message": "overloaded"}}).to_string(),
                "overloaded",
            ),
            (500, "boom".to_owned(), "HTTP 500"),
            (
                200,
                format!(
                    "{{\"x\": \"{}\"}}",
                    "a".repeat(MAX_BODY_BYTES as usize + 10)
                ),
                "reading the reply",
            ),
        ] {
            let (url, h) = serve(status, Some(body));
            let mut e = Endpoint::new(&url, None, Duration::from_secs(5)).unwrap();
            let err = e.complete(&chat(), 1).unwrap_err().to_string();
            assert!(
                err.contains(says) && err.contains("/v1/chat/completions"),
                "{err}"
            );
            let _ = h.join();
        }
    }

    #[test]
    fn an_endpoint_that_hangs_times_out() {
        let (url, _h) = serve(200, None);
        let mut e = Endpoint::new(&url, None, Duration::from_millis(300)).unwrap();
        let t = std::time::Instant::now();
        let err = e.complete(&chat(), 1).unwrap_err().to_string();
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
        assert!(err.contains("127.0.0.1"), "{err}");
    }

    #[test]
    fn what_is_logged_of_an_address_has_no_secrets() {
        assert_eq!(
            redacted("https://me:sk-1@api.example/v1/chat/completions?key=sk-2"),
            "https://api.example/v1/chat/completions"
        );
        assert_eq!(redacted("http://localhost:8080"), "http://localhost:8080");
        let e = Endpoint::new(
            "https://me:sk-1@api.example/v1?key=sk-2",
            None,
            Duration::from_secs(1),
        )
        .unwrap();
        assert!(!e.model().contains("sk-"), "{}", e.model());
    }

    #[test]
    fn an_address_that_is_not_http_is_refused() {
        let e = Endpoint::new("localhost:8080", None, Duration::from_secs(1)).unwrap_err();
        assert!(e.to_string().contains("http://"), "{e}");
    }
}
