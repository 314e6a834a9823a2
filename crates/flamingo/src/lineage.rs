//! Which of Flamingo's elements a vision–language model has, read from its config.
//!
//! The diagnostic reads the keys Hugging Face configs use for the Flamingo family
//! (`cross_layer_interval`, `use_resampler`, `perceiver_config`, `alpha_initializer`,
//! `alpha_type`, `freeze_text_layers`), OpenFlamingo's and Otter's
//! `cross_attn_every_n_layers`, BLIP-2's `num_query_tokens` / `qformer_config` and
//! LLaVA's projector keys. Where a model's code fixes an element rather than its config
//! (OpenFlamingo always builds a resampler and zero-initialised tanh gates), the
//! evidence says so.

use serde_json::{Map, Value};

/// Whether a model has an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// It has it.
    Yes,
    /// It does not.
    No,
    /// The config does not say.
    Unknown,
}

/// One Flamingo element and what the config says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The element, e.g. "Perceiver resampler".
    pub name: &'static str,
    /// Present or not.
    pub presence: Presence,
    /// The key or the code behind the verdict.
    pub evidence: String,
}

/// The diagnostic's verdict on one config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage {
    /// The family the config belongs to, e.g. "IDEFICS (model_type idefics)".
    pub family: String,
    /// Resampler, gated cross-attention every M layers, tanh gate at 0, frozen LM.
    pub elements: Vec<Element>,
    /// What is trained and what is frozen.
    pub freezing: String,
    /// The failure to watch for when fine-tuning it.
    pub watch: String,
}

impl Lineage {
    /// How many of the four Flamingo elements are present.
    pub fn flamingo_elements(&self) -> usize {
        self.elements
            .iter()
            .filter(|e| e.presence == Presence::Yes)
            .count()
    }
}

/// Why a config could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineageError {
    /// Not JSON at all.
    #[error("not valid JSON ({0})")]
    Malformed(String),
    /// JSON, but not an object.
    #[error("a model config is a JSON object ({{ … }}); this is {0}")]
    NotAnObject(&'static str),
    /// An object with none of the keys the diagnostic reads.
    #[error(
        "none of the keys this diagnostic reads is in the config (model_type, cross_layer_interval, cross_attn_every_n_layers, use_resampler, perceiver_config, alpha_initializer, freeze_text_layers, num_query_tokens, mm_projector_type, projector_hidden_act); model_type {0}"
    )]
    Unknown(String),
}

/// A model the page offers with a config written from its published one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineagePreset {
    /// Name on the page.
    pub name: &'static str,
    /// The config, abridged to the keys that matter here.
    pub config: &'static str,
    /// Where it comes from.
    pub source: &'static str,
}

/// The presets, in the page's order.
pub const PRESETS: [LineagePreset; 7] = [
    LineagePreset {
        name: "Flamingo",
        config: r#"{
  "model_type": "flamingo",
  "cross_attn_every_n_layers": 7,
  "num_latents": 64,
  "resampler_depth": 6,
  "alpha_initializer": "zeros",
  "freeze_text_layers": true,
  "freeze_vision_layers": true,
  "text_config": { "hidden_size": 8192, "num_hidden_layers": 80 }
}"#,
        source: "no official config exists; written for this page from Alayrac et al., arXiv:2204.14198 (Flamingo-80B)",
    },
    LineagePreset {
        name: "OpenFlamingo",
        config: r#"{
  "model_type": "openflamingo",
  "cross_attn_every_n_layers": 4,
  "vision_encoder_path": "ViT-L-14",
  "lang_encoder_path": "anas-awadalla/mpt-7b",
  "only_attend_immediate_media": true
}"#,
        source: "OpenFlamingo-9B: it ships no config.json; these are the arguments of create_model_and_transforms",
    },
    LineagePreset {
        name: "Otter",
        config: r#"{
  "model_type": "otter",
  "cross_attn_every_n_layers": 4,
  "only_attend_previous": true,
  "use_media_placement_augmentation": true,
  "text_config": { "model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32 },
  "vision_config": { "model_type": "clip_vision_model", "hidden_size": 1024 }
}"#,
        source: "luodian/OTTER-9B-LA-InContext config.json (abridged)",
    },
    LineagePreset {
        name: "IDEFICS",
        config: r#"{
  "model_type": "idefics",
  "cross_layer_interval": 4,
  "use_resampler": true,
  "perceiver_config": { "resampler_depth": 6, "resampler_n_latents": 64, "resampler_n_heads": 16, "resampler_head_dim": 96 },
  "alpha_initializer": "zeros",
  "alpha_type": "float",
  "freeze_text_layers": true,
  "freeze_vision_layers": true,
  "hidden_size": 4096,
  "num_hidden_layers": 32
}"#,
        source: "HuggingFaceM4/idefics-9b, keys and defaults of transformers' IdeficsConfig (abridged)",
    },
    LineagePreset {
        name: "Idefics2",
        config: r#"{
  "model_type": "idefics2",
  "perceiver_config": { "model_type": "idefics2", "resampler_depth": 3, "resampler_n_latents": 64, "resampler_n_heads": 16, "resampler_head_dim": 96 },
  "text_config": { "model_type": "mistral", "hidden_size": 4096, "num_hidden_layers": 32 },
  "vision_config": { "model_type": "idefics2", "hidden_size": 1152 }
}"#,
        source: "HuggingFaceM4/idefics2-8b config.json (abridged)",
    },
    LineagePreset {
        name: "BLIP-2",
        config: r#"{
  "model_type": "blip-2",
  "num_query_tokens": 32,
  "qformer_config": { "model_type": "blip_2_qformer", "cross_attention_frequency": 2, "num_hidden_layers": 12 },
  "text_config": { "model_type": "opt", "hidden_size": 2560, "num_hidden_layers": 32 }
}"#,
        source: "Salesforce/blip2-opt-2.7b config.json (abridged)",
    },
    LineagePreset {
        name: "LLaVA",
        config: r#"{
  "model_type": "llava",
  "projector_hidden_act": "gelu",
  "vision_feature_layer": -2,
  "vision_feature_select_strategy": "default",
  "image_token_index": 32000,
  "text_config": { "model_type": "llama", "hidden_size": 4096, "num_hidden_layers": 32 }
}"#,
        source: "llava-hf/llava-1.5-7b-hf config.json (abridged)",
    },
];

/// The four elements' names, in the card's order.
pub const ELEMENTS: [&str; 4] = [
    "Perceiver resampler",
    "Gated cross-attention every M layers",
    "tanh gate initialised at 0",
    "Frozen language model",
];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn element(i: usize, presence: Presence, evidence: impl Into<String>) -> Element {
    Element {
        name: ELEMENTS[i],
        presence,
        evidence: evidence.into(),
    }
}

/// Reads a config (JSON text) and says which Flamingo elements the model has.
pub fn diagnose(json: &str) -> Result<Lineage, LineageError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| LineageError::Malformed(e.to_string()))?;
    let Value::Object(c) = value else {
        return Err(LineageError::NotAnObject(kind(&value)));
    };
    diagnose_object(&c)
}

fn diagnose_object(c: &Map<String, Value>) -> Result<Lineage, LineageError> {
    let model_type = c
        .get("model_type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let uint = |key: &str| c.get(key).and_then(Value::as_u64);
    let flag = |key: &str| c.get(key).and_then(Value::as_bool);
    let text = |key: &str| c.get(key).and_then(Value::as_str);
    // OpenFlamingo's code (and Otter's, and the paper's design) fixes what a config would say.
    let flamingo_code = matches!(model_type.as_str(), "flamingo" | "openflamingo" | "otter");
    let interval = uint("cross_layer_interval")
        .map(|m| (m, "cross_layer_interval"))
        .or(uint("cross_attn_every_n_layers").map(|m| (m, "cross_attn_every_n_layers")));
    let q_former = c.contains_key("num_query_tokens") || c.contains_key("qformer_config");
    let projector = c.contains_key("mm_projector_type")
        || c.contains_key("projector_hidden_act")
        || model_type.starts_with("llava");
    let perceiver = c.get("perceiver_config").and_then(Value::as_object);

    let known = flamingo_code
        || interval.is_some()
        || q_former
        || projector
        || perceiver.is_some()
        || ["use_resampler", "alpha_initializer", "freeze_text_layers"]
            .iter()
            .any(|k| c.contains_key(*k))
        || model_type.starts_with("idefics");
    if !known {
        return Err(LineageError::Unknown(if model_type.is_empty() {
            "missing".into()
        } else {
            format!("{model_type:?} is not one it knows")
        }));
    }

    let resampler = match (flag("use_resampler"), perceiver) {
        (Some(false), _) => element(0, Presence::No, "use_resampler: false"),
        (Some(true), p) => element(
            0,
            Presence::Yes,
            format!("use_resampler: true{}", latents_of(p)),
        ),
        (None, Some(p)) => element(
            0,
            Presence::Yes,
            format!("perceiver_config present{}", latents_of(Some(p))),
        ),
        (None, None) if flamingo_code => element(
            0,
            Presence::Yes,
            format!(
                "{model_type} always builds one (K = {})",
                uint("num_latents").unwrap_or(64)
            ),
        ),
        (None, None) if q_former => element(
            0,
            Presence::No,
            format!(
                "a Q-Former instead: {} learned queries read the image once, before the LM",
                uint("num_query_tokens").unwrap_or(32)
            ),
        ),
        (None, None) if projector => element(
            0,
            Presence::No,
            "an MLP projector maps every patch to a token; no fixed K",
        ),
        (None, None) => element(0, Presence::Unknown, "no resampler key"),
    };

    let gated = match interval {
        Some((m, key)) => element(
            1,
            Presence::Yes,
            format!("{key}: {m} (a gated block every {m} LM layers)"),
        ),
        None if q_former => element(
            1,
            Presence::No,
            format!(
                "cross-attention only inside the Q-Former{}, never in the LM",
                c.get("qformer_config")
                    .and_then(|q| q.get("cross_attention_frequency"))
                    .and_then(Value::as_u64)
                    .map(|f| format!(" (every {f} Q-Former layers)"))
                    .unwrap_or_default()
            ),
        ),
        None if perceiver.is_some() || projector => element(
            1,
            Presence::No,
            "visual tokens enter the LM's input sequence; no cross-attention layers in the LM",
        ),
        None => element(1, Presence::Unknown, "no cross-attention interval key"),
    };

    // IDEFICS draws "normal" gates with std alphas_initializer_range: a range of 0 is zeros.
    let zero_spread = c
        .get("alphas_initializer_range")
        .and_then(Value::as_f64)
        .is_some_and(|r| r == 0.0);
    let gate = match (text("alpha_initializer"), text("alpha_type")) {
        (Some(init @ ("normal" | "gaussian" | "random")), _) if zero_spread => element(
            2,
            Presence::Yes,
            format!(
                "alpha_initializer: \"{init}\" with alphas_initializer_range: 0, which draws zeros"
            ),
        ),
        (Some("zeros"), t) => element(
            2,
            Presence::Yes,
            format!(
                "alpha_initializer: \"zeros\"{}",
                t.map(|t| format!(", alpha_type: \"{t}\" (one gate {})", alpha_shape(t)))
                    .unwrap_or_default()
            ),
        ),
        (Some(other), _) => element(
            2,
            Presence::No,
            format!(
                "alpha_initializer: \"{other}\": the gate is not 0 at the start, so the LM is not exact at initialisation"
            ),
        ),
        (None, _) if flamingo_code => element(
            2,
            Presence::Yes,
            "fixed in the code: attn_gate = ff_gate = 0, multiplied through tanh",
        ),
        (None, _) if interval.is_none() && (q_former || projector || perceiver.is_some()) => {
            element(2, Presence::No, "no gated layers, so no gate")
        }
        (None, _) => element(2, Presence::Unknown, "no alpha_initializer key"),
    };

    let frozen = match flag("freeze_text_layers") {
        Some(true) => element(3, Presence::Yes, "freeze_text_layers: true"),
        Some(false) => element(
            3,
            Presence::No,
            "freeze_text_layers: false: the LM trains too",
        ),
        None if flamingo_code || q_former => element(
            3,
            Presence::Yes,
            format!("{model_type} keeps the LM frozen by design (no key needed)"),
        ),
        None if projector => element(
            3,
            Presence::No,
            "LLaVA fine-tunes the LM in its second stage",
        ),
        None if model_type == "idefics2" => element(
            3,
            Presence::No,
            "Idefics2 trains the LM (with LoRA-style adapters) together with the connector",
        ),
        None => element(3, Presence::Unknown, "no freeze_text_layers key"),
    };

    let has_gate = gated.presence == Presence::Yes;
    let lm_frozen = frozen.presence == Presence::Yes;
    let freezing = match (has_gate, lm_frozen) {
        (true, true) => {
            "LM and vision encoder frozen; only the resampler and the gated cross-attention blocks train (OpenFlamingo also trains the embeddings of its two new tokens)."
        }
        (true, false) => {
            "Gated blocks and the LM train together: the LM's text ability is no longer protected by freezing, only by the gate."
        }
        (false, true) => {
            "LM frozen; only the bridge at the input trains (a Q-Former or projector), so the LM sees visual tokens as if they were words."
        }
        (false, false) => {
            "The bridge and the LM train (fully or through adapters): no gated path protects the original text ability."
        }
    };
    let watch = if has_gate {
        "A gate that opens too fast: once tanh(alpha) is large early in training, noisy visual features flood the residual stream and text-only ability degrades. Watch tanh(alpha) per layer and a text-only benchmark during fine-tuning."
    } else if lm_frozen {
        "Visual tokens the frozen LM cannot read: if the bridge is undertrained the LM ignores the image or hallucinates; there is no gate to keep text and image apart."
    } else {
        "Catastrophic forgetting of text: with the LM trained on image–text data, check text-only benchmarks before and after fine-tuning."
    };
    let family = match model_type.as_str() {
        "" => "unnamed config".to_owned(),
        t => format!("model_type {t}"),
    };
    Ok(Lineage {
        family,
        elements: vec![resampler, gated, gate, frozen],
        freezing: freezing.to_owned(),
        watch: watch.to_owned(),
    })
}

fn latents_of(perceiver: Option<&Map<String, Value>>) -> String {
    let get = |k: &str| perceiver.and_then(|p| p.get(k)).and_then(Value::as_u64);
    match (get("resampler_n_latents"), get("resampler_depth")) {
        (Some(k), Some(d)) => format!(" (K = {k} latents, depth {d})"),
        (Some(k), None) => format!(" (K = {k} latents)"),
        _ => String::new(),
    }
}

fn alpha_shape(alpha_type: &str) -> &'static str {
    match alpha_type {
        "vector" => "per channel",
        _ => "per block",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(name: &str) -> Lineage {
        let preset = PRESETS.iter().find(|p| p.name == name).expect(name);
        diagnose(preset.config).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn presences(l: &Lineage) -> Vec<Presence> {
        l.elements.iter().map(|e| e.presence).collect()
    }

    #[test]
    fn every_preset_reads() {
        use Presence::{No, Yes};
        let expected = [
            ("Flamingo", [Yes, Yes, Yes, Yes]),
            ("OpenFlamingo", [Yes, Yes, Yes, Yes]),
            ("Otter", [Yes, Yes, Yes, Yes]),
            ("IDEFICS", [Yes, Yes, Yes, Yes]),
            ("Idefics2", [Yes, No, No, No]),
            ("BLIP-2", [No, No, No, Yes]),
            ("LLaVA", [No, No, No, No]),
        ];
        assert_eq!(expected.len(), PRESETS.len());
        for (name, want) in expected {
            assert_eq!(presences(&card(name)), want, "{name}");
        }
        assert!(card("IDEFICS").elements[1].evidence.contains("every 4"));
        assert!(card("Idefics2").elements[0].evidence.contains("K = 64"));
        assert!(
            card("BLIP-2").elements[0]
                .evidence
                .contains("32 learned queries")
        );
    }

    #[test]
    fn the_gate_and_the_freeze_follow_their_keys() {
        let l = diagnose(
            r#"{"model_type":"idefics","cross_layer_interval":2,"alpha_initializer":"normal","freeze_text_layers":false}"#,
        )
        .unwrap();
        assert_eq!(l.elements[2].presence, Presence::No);
        assert!(l.elements[2].evidence.contains("not exact"));
        assert_eq!(l.elements[3].presence, Presence::No);
        assert!(l.freezing.contains("only by the gate"));
        assert!(l.watch.contains("too fast"));
        let l = diagnose(
            r#"{"use_resampler": false, "alpha_initializer": "zeros", "alpha_type": "vector"}"#,
        )
        .unwrap();
        assert_eq!(l.elements[0].presence, Presence::No);
        assert!(l.elements[2].evidence.contains("per channel"));
        assert_eq!(l.family, "unnamed config");
        let l = diagnose(r#"{"cross_layer_interval": 4, "alpha_initializer": "normal", "alphas_initializer_range": 0.0}"#).unwrap();
        assert_eq!(l.elements[2].presence, Presence::Yes);
    }

    #[test]
    fn bad_input_gets_a_clear_error() {
        assert!(matches!(
            diagnose("{ nope"),
            Err(LineageError::Malformed(_))
        ));
        assert!(matches!(diagnose(""), Err(LineageError::Malformed(_))));
        assert_eq!(
            diagnose("[1, 2]"),
            Err(LineageError::NotAnObject("an array"))
        );
        let e = diagnose(r#"{"model_type": "gpt2", "n_layer": 12}"#).unwrap_err();
        assert!(
            e.to_string().contains("\"gpt2\" is not one it knows"),
            "{e}"
        );
        let e = diagnose("{}").unwrap_err();
        assert!(e.to_string().contains("model_type missing"), "{e}");
    }
}
