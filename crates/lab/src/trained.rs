//! The trained mini-Flamingo as the page shows it: a picture's visual tokens kept
//! while the gate scale moves, the caption generated word by word with what each
//! step chose from, the check against the frozen language model alone, where the
//! model looked, and a logit lens.
//!
//! Generation is greedy, as the CLI's, on the same forward; the page checks a guess (the
//! caption at the nearest scale) in one forward instead of running one per word, and its
//! captions are the CLI's, bit for bit, over every scale of the slider (a test holds them
//! equal).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use flamingo::burn::tensor::activation::softmax;
use flamingo::burn::tensor::{Device, Tensor};
use mini::evaluate::few_shot_correct;
use mini::inference::{CAPTION_WORDS, Step, caption_text, episode, next_words_seeing, read};

use crate::Readouts;
pub use crate::caption::{Caption, Word};
use crate::episode::Teaching;
use crate::measure::Piece;
use mini::model::{Batch, Output};
use mini::scene::Picture;
use mini::vocab::{CAPTION_PROMPT, EOC, WORDS};
use mini::{Gating, MiniFlamingo, weights};

/// Patches per side of the encoder's grid.
pub const GRID: usize = mini::encoder::GRID;

/// The shipped model on one device, and the picture it is looking at.
pub struct Trained {
    model: MiniFlamingo,
    seen: Option<Seen>,
    /// The few-shot episode last answered, its pictures made into visual tokens.
    shown: Option<Shown>,
    /// The language model's logits alone, by the tokens: the check every caption makes
    /// against it needs no forward when only the gate scale or the picture moved.
    alone: RefCell<HashMap<Vec<u32>, Rc<Vec<f32>>>>,
}

/// A few-shot episode's input: the gate scale moves, its visual tokens stay.
struct Shown {
    teaching: Teaching,
    batch: Batch,
    media: Tensor<4>,
}

/// What depends on the picture alone: moving the gate scale reuses it.
struct Seen {
    fitted: Picture,
    /// `[1, 1, K, dim]`.
    media: Tensor<4>,
    /// `[K × 64]`.
    latent_attention: Vec<f32>,
    /// Each patch feature's length, `[64]`, and the features' shape `[64, dim]`.
    patch_norms: Vec<f32>,
    features: [usize; 2],
    /// Captions already computed for this picture, by the scale's bits: a drag back over
    /// a scale, or onto one computed while the page was idle, needs no forward.
    captions: HashMap<u32, Caption>,
}

/// At most this many captions are kept per picture (the slider's grid has 41 values).
const CAPTIONS_KEPT: usize = 128;

impl Trained {
    /// The model from the shipped weights file, on `device`.
    ///
    /// # Errors
    /// When the bytes are not such a file.
    pub fn load(bytes: &[u8], device: &Device) -> Result<Trained, String> {
        let (model, _) = weights::load(bytes, device).map_err(|e| e.to_string())?;
        Ok(Trained {
            model,
            seen: None,
            shown: None,
            alone: RefCell::default(),
        })
    }

    pub fn model(&self) -> &MiniFlamingo {
        &self.model
    }

    /// Looks at a picture: fits it to 32 × 32, encodes and resamples it once.
    pub async fn see(&mut self, picture: &Picture) {
        let fitted = picture.fit();
        let batch = Batch::new(
            &[(CAPTION_PROMPT.as_slice(), std::slice::from_ref(&fitted))],
            &self.model.device(),
        );
        let (media, attention) = self.model.media(&batch);
        let patches = self.model.encoder.forward(batch.pixels.clone());
        let [_, n, dim] = patches.dims();
        let patch_norms = read(patches.powf_scalar(2.0).sum_dim(2).sqrt().reshape([n])).await;
        let last = attention.last().expect("a resampler has layers").clone();
        let [_, heads, _, k, keys] = last.dims();
        let mean = read(last.sum_dim(1).reshape([k, keys]) / heads as f32).await;
        let patches = GRID * GRID;
        let latent_attention = mean
            .chunks(keys)
            .flat_map(|row| row[..patches].iter().copied())
            .collect();
        self.seen = Some(Seen {
            fitted,
            media,
            latent_attention,
            patch_norms,
            features: [n, dim],
            captions: Default::default(),
        });
    }

    /// The picture as the model sees it, once one was given.
    pub fn fitted(&self) -> Option<&Picture> {
        self.seen.as_ref().map(|s| &s.fitted)
    }

    /// The greedy caption at gate scale `scale`, with its readouts; computed once per
    /// picture and scale, and kept.
    ///
    /// # Errors
    /// Before a picture was seen.
    pub async fn caption(&mut self, scale: f32) -> Result<Caption, String> {
        let seen = self.seen.as_ref().ok_or("no picture yet")?;
        if let Some(kept) = seen.captions.get(&scale.to_bits()) {
            return Ok(kept.clone());
        }
        // The guess: the kept caption at the nearest scale, else none (word by word).
        let guess = seen
            .captions
            .values()
            .min_by(|a, b| (a.scale - scale).abs().total_cmp(&(b.scale - scale).abs()))
            .map(|c| c.words.iter().map(|w| w.step.token).collect())
            .unwrap_or_default();
        let caption = self.compute_caption(seen, scale, guess).await;
        if let Some(seen) = self.seen.as_mut()
            && seen.captions.len() < CAPTIONS_KEPT
        {
            seen.captions.insert(scale.to_bits(), caption.clone());
        }
        Ok(caption)
    }

    /// Whether the caption at `scale` of the picture seen is already kept.
    pub fn has_caption(&self, scale: f32) -> bool {
        self.seen
            .as_ref()
            .is_some_and(|s| s.captions.contains_key(&scale.to_bits()))
    }

    /// How many captions of the picture seen are kept.
    pub fn kept_captions(&self) -> usize {
        self.seen.as_ref().map_or(0, |s| s.captions.len())
    }

    /// The greedy caption, found by checking a guess (the words of the caption kept at the
    /// nearest scale). A forward over the prompt and the guessed words gives, at every
    /// position, the distribution the next word is taken from, since a position never
    /// sees the words after it. Where the most likely word is the guessed one the guess
    /// holds; at the first that is not, the model's word replaces it and the forward runs
    /// again. Generating word by word runs one forward per word; a good guess, two in all.
    ///
    /// The first word is taken from the prompt alone, as word-by-word generation takes
    /// it: burn's CPU product takes another path when the inner size is 2 or less (gemm's
    /// `gevv`), so attention over the prompt's two tokens alone rounds otherwise than over
    /// the same two in a longer forward. From three tokens on a position's numbers are
    /// the same in a forward of any length, bit for bit, which the tests hold.
    async fn compute_caption(&self, seen: &Seen, scale: f32, guess: Vec<u32>) -> Caption {
        let (model, device) = (&self.model, self.model.device());
        let gating = Gating::Tanh { scale };
        let vocab = WORDS.len();
        let prompt = CAPTION_PROMPT.len();
        let decode = async |tokens: Vec<u32>| {
            let batch = Batch::new(
                &[(tokens.as_slice(), std::slice::from_ref(&seen.fitted))],
                &device,
            );
            let out = model.decode(&batch, seen.media.clone(), gating);
            let t = tokens.len();
            let rows = read(softmax(out.logits.clone().slice([0..1, prompt - 1..t]), 2)).await;
            let steps: Vec<Step> = rows
                .chunks(vocab)
                .map(|row| Step::from_probabilities(row.to_vec()))
                .collect();
            (batch, out, tokens, steps)
        };
        // Each step's word with its logit lens, read after every layer of `out`.
        let lens = async |out: &Output, steps: Vec<Step>| -> Vec<Word> {
            let (words, t) = (steps.len(), prompt - 1 + steps.len());
            let hidden = Tensor::cat(
                out.hidden
                    .iter()
                    .map(|x| x.clone().slice([0..1, prompt - 1..t]))
                    .collect(),
                0,
            );
            // `[layers, words, vocab]`.
            let lens = read(softmax(model.lm.logits(hidden), 2)).await;
            steps
                .into_iter()
                .enumerate()
                .map(|(i, step)| Word {
                    lens: lens
                        .chunks(vocab)
                        .skip(i)
                        .step_by(words)
                        .map(|row| row[step.token as usize])
                        .collect(),
                    step,
                })
                .collect()
        };
        let (mut batch, mut out, mut tokens, steps) = decode(CAPTION_PROMPT.to_vec()).await;
        let first = lens(&out, steps).await.remove(0);
        let mut guess = guess;
        guess.truncate(CAPTION_WORDS);
        match guess.first_mut() {
            Some(word) => *word = first.step.token,
            None => guess.push(first.step.token),
        }
        if first.step.token == EOC {
            guess.truncate(1);
        }
        // Every guessed word is fed back but a last `<eoc>` or the last one allowed.
        let fed = |guess: &[u32]| match guess.last() {
            Some(&EOC) => guess.len() - 1,
            _ if guess.len() == CAPTION_WORDS => guess.len() - 1,
            _ => guess.len(),
        };
        let mut rest = Vec::new();
        let mut forwards = 0;
        while fed(&guess) > 0 && forwards <= 2 * CAPTION_WORDS {
            let n = fed(&guess);
            (batch, out, tokens, rest) =
                decode(CAPTION_PROMPT.iter().chain(&guess[..n]).copied().collect()).await;
            forwards += 1;
            // The first position whose most likely word is not the guess's takes the model's.
            let wrong = (1..=n).find(|&i| guess.get(i) != Some(&rest[i].token));
            if let Some(i) = wrong {
                let token = rest[i].token;
                if i == guess.len() {
                    guess.push(token);
                } else {
                    guess[i] = token;
                }
                if token == EOC {
                    guess.truncate(i + 1);
                }
            }
            // Settled when every position agrees with the words this forward was fed:
            // each correction settles its position, so this comes within a few forwards.
            if wrong.is_none_or(|i| i == n) && fed(&guess) == n {
                break;
            }
        }
        // The lens of the last forward only; its first position is the prompt's, above.
        let mut words = vec![first];
        if !rest.is_empty() {
            words.extend(lens(&out, rest).await.into_iter().skip(1));
        }
        let flamingo = read(out.logits).await;
        let kept = self.alone.borrow().get(&tokens).cloned();
        let alone = match kept {
            Some(alone) => alone,
            None => {
                let alone = Rc::new(read(model.lm.forward(batch.tokens)).await);
                let mut kept = self.alone.borrow_mut();
                if kept.len() == CAPTIONS_KEPT {
                    kept.clear();
                }
                kept.insert(tokens.clone(), alone.clone());
                alone
            }
        };
        let identical = flamingo
            .iter()
            .zip(alone.iter())
            .filter(|(a, b)| a.to_bits() == b.to_bits())
            .count();
        let max_delta = flamingo
            .iter()
            .zip(alone.iter())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let mut cross_attention = Vec::with_capacity(out.cross_attention.len());
        for weights in out.cross_attention {
            let [_, heads, t, v] = weights.dims();
            cross_attention.push(read(weights.sum_dim(1).reshape([t, v]) / heads as f32).await);
        }
        let mut visual_share = Vec::with_capacity(out.block_io.len());
        for (x, y) in out.block_io {
            visual_share.push(Readouts::of(&read(x).await, &read(y).await).visual_share);
        }
        let [_, _, k, dim] = seen.media.dims();
        let gates = model.bridge.gates(gating);
        let gate_values = read(Tensor::cat(gates.into_iter().flatten().collect(), 0)).await;
        Caption {
            text: caption_text(&words.iter().map(|w| w.step.clone()).collect::<Vec<_>>()),
            words,
            // `+ 0.0`: closed over a negative α a gate is tanh(−0) = −0, which reads as 0.
            gates: gate_values
                .chunks(2)
                .map(|g| [g[0] + 0.0, g[1] + 0.0])
                .collect(),
            tokens,
            identical,
            logits: flamingo.len(),
            max_delta,
            cross_attention,
            latent_attention: seen.latent_attention.clone(),
            blocks_before: (0..model.lm.depth())
                .map(|i| model.has_block_before(i))
                .collect(),
            picture: seen.fitted.clone(),
            features: seen.features,
            patch_norms: seen.patch_norms.clone(),
            media: [k, dim],
            visual_share,
            scale,
        }
    }
}

impl Trained {
    /// The answer to a few-shot episode, with its distribution: `mini`'s own
    /// [`mini::inference::few_shot`], as `flamingo mini few-shot` answers it, with the
    /// episode's visual tokens kept for the next gate scale.
    pub async fn answer(&mut self, teaching: &Teaching, scale: f32) -> Step {
        if self.shown.as_ref().is_none_or(|s| s.teaching != *teaching) {
            let (tokens, pictures) = episode(&teaching.shots, &teaching.query);
            let batch = Batch::new(&[(&tokens, &pictures)], &self.model.device());
            let (media, _) = self.model.media(&batch);
            self.shown = Some(Shown {
                teaching: teaching.clone(),
                batch,
                media,
            });
        }
        let shown = self.shown.as_ref().expect("made above");
        next_words_seeing(
            &self.model,
            &shown.batch,
            shown.media.clone(),
            Gating::Tanh { scale },
        )
        .await
        .pop()
        .expect("one sequence")
    }

    /// How many of a piece's episodes are answered right at each number of shots, 0 to 8.
    pub async fn count(&self, piece: &Piece, scale: f32) -> Vec<usize> {
        few_shot_correct(&self.model, &piece.episodes, Gating::Tanh { scale }).await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::OnceLock;

    use mini::inference::{caption, resolved};
    use mini::scene::{Colour, Rng, Scene, Shape};

    use super::*;

    pub(crate) const WEIGHTS: &[u8] = include_bytes!("../../../assets/mini-flamingo.safetensors");

    fn scene(shape: Shape, colour: Colour, seed: u64) -> Picture {
        Scene::with(&mut Rng::new(seed), shape, colour).render()
    }

    pub(crate) fn looking_at(picture: &Picture) -> Trained {
        let mut trained = Trained::load(WEIGHTS, &Device::flex()).unwrap();
        resolved(trained.see(picture));
        trained
    }

    pub(crate) fn blue_triangle() -> &'static Picture {
        static P: OnceLock<Picture> = OnceLock::new();
        P.get_or_init(|| scene(Shape::Triangle, Colour::Blue, 3))
    }

    /// Word by word, as the page used to: a forward per word over the words so far, its
    /// last position's distribution and logit lens.
    fn word_by_word(trained: &Trained, scale: f32) -> Vec<Word> {
        let (model, seen) = (trained.model(), trained.seen.as_ref().unwrap());
        let pictures = std::slice::from_ref(&seen.fitted);
        let mut tokens = CAPTION_PROMPT.to_vec();
        let mut words: Vec<Word> = Vec::new();
        while words.len() < CAPTION_WORDS && words.last().is_none_or(|w| w.step.token != EOC) {
            let batch = Batch::new(&[(tokens.as_slice(), pictures)], &model.device());
            let out = model.decode(&batch, seen.media.clone(), Gating::Tanh { scale });
            let t = tokens.len();
            let at_end = |x: &Tensor<3>| x.clone().slice([0..1, t - 1..t]);
            let step = Step::from_probabilities(resolved(read(softmax(at_end(&out.logits), 2))));
            let hidden = Tensor::cat(out.hidden.iter().map(at_end).collect(), 0);
            let lens = resolved(read(softmax(model.lm.logits(hidden), 2)));
            tokens.push(step.token);
            words.push(Word {
                lens: lens
                    .chunks(WORDS.len())
                    .map(|r| r[step.token as usize])
                    .collect(),
                step,
            });
        }
        words
    }

    /// Every caption of the slider's 41 scales, kept in the page's order (nearest the
    /// first scale first, each checked against the kept one nearest it), is the CLI's
    /// bit for bit: the same words from the same distributions, and the same logit lens
    /// as generating word by word.
    #[test]
    fn the_page_captions_as_the_cli_does_bit_for_bit() {
        let pictures = [
            blue_triangle().clone(),
            scene(Shape::Circle, Colour::Orange, 5),
            scene(Shape::Cross, Colour::Green, 8),
            Scene::sample_any(&mut Rng::new(11)).render(),
            Scene::sample_any(&mut Rng::new(12)).render(),
        ];
        let bits = |w: &Word| -> Vec<u32> {
            w.step
                .probabilities
                .iter()
                .chain(&w.lens)
                .map(|p| p.to_bits())
                .collect()
        };
        let mut texts = std::collections::BTreeSet::new();
        for (picture, from) in pictures.iter().zip([20, 0, 40, 7, 33]) {
            let mut trained = looking_at(picture);
            let mut scales: Vec<f32> = (0..=40).map(|i| (f64::from(i) / 20.0) as f32).collect();
            let first = scales[from];
            scales.sort_by(|a, b| (a - first).abs().total_cmp(&(b - first).abs()));
            for scale in scales {
                let page = resolved(trained.caption(scale)).unwrap();
                let cli = resolved(caption(trained.model(), picture, Gating::Tanh { scale }));
                let tokens = |s: &[Step]| s.iter().map(|s| s.token).collect::<Vec<_>>();
                let steps: Vec<Step> = page.words.iter().map(|w| w.step.clone()).collect();
                assert_eq!(tokens(&steps), tokens(&cli), "scale {scale}");
                for ((a, b), c) in page
                    .words
                    .iter()
                    .zip(&cli)
                    .zip(word_by_word(&trained, scale))
                {
                    let cli: Vec<u32> = b.probabilities.iter().map(|p| p.to_bits()).collect();
                    assert_eq!(bits(a)[..WORDS.len()], cli, "scale {scale}");
                    assert_eq!(bits(a), bits(&c), "scale {scale}: the lens");
                }
                texts.insert(page.text);
            }
        }
        // The guesses were wrong often enough to be checked: the captions differ by scale.
        assert!(texts.len() >= 8, "{texts:?}");
        let mut trained = looking_at(blue_triangle());
        let open = resolved(trained.caption(1.0)).unwrap();
        assert_eq!(open.text, "a blue triangle");
    }

    /// The few-shot panel's answers, whose visual tokens are kept while the gate moves,
    /// are `mini`'s (the CLI's) bit for bit, episode after episode.
    #[test]
    fn kept_episodes_answer_as_the_cli_does_bit_for_bit() {
        let mut trained = looking_at(blue_triangle());
        let bits = |s: &Step| -> Vec<u32> { s.probabilities.iter().map(|p| p.to_bits()).collect() };
        for seed in [1, 2] {
            let episode =
                mini::vocab::Episode::sample(&mut Rng::new(seed), mini::vocab::Task::Colour, 2);
            let teaching = Teaching::of(&episode);
            for scale in [1.0, 0.0, 0.35, 2.0] {
                let page = resolved(trained.answer(&teaching, scale));
                let cli = resolved(mini::inference::few_shot(
                    trained.model(),
                    &teaching.shots,
                    &teaching.query,
                    Gating::Tanh { scale },
                ));
                assert_eq!(page.token, cli.token);
                assert_eq!(bits(&page), bits(&cli), "episode {seed}, scale {scale}");
            }
        }
    }

    #[test]
    fn a_closed_gate_is_the_language_model_and_an_open_one_is_not() {
        let mut trained = looking_at(blue_triangle());
        let closed = resolved(trained.caption(0.0)).unwrap();
        assert!(
            closed.lm_identical(),
            "{} of {}",
            closed.identical,
            closed.logits
        );
        assert_eq!(closed.max_delta, 0.0);
        assert_eq!(closed.gates, vec![[0.0, 0.0]; 2]);
        // Not −0, though the shipped block 0 has negative gates: the page shows these.
        assert!(closed.gates.iter().flatten().all(|g| g.to_bits() == 0));
        assert_eq!(
            closed.visual_share,
            vec![0.0; 2],
            "closed blocks change nothing"
        );
        let mut other = looking_at(&scene(Shape::Circle, Colour::Red, 9));
        assert_eq!(resolved(other.caption(0.0)).unwrap().text, closed.text);

        let open = resolved(trained.caption(1.0)).unwrap();
        assert!(!open.lm_identical() && open.max_delta > 0.0);
        assert!(
            open.visual_share.iter().all(|&v| v > 0.0),
            "{:?}",
            open.visual_share
        );
        assert_eq!((open.features, open.media), ([64, 32], [8, 32]));
        assert_eq!(open.patch_norms.len(), 64);
        assert_eq!(&open.picture, trained.fitted().unwrap());
        // "a blue triangle": both words are the picture's; the LM alone guessed neither.
        let focus = open.words[open.focus()].step.word();
        assert!(
            ["blue", "triangle"].contains(&focus),
            "{focus}: {}",
            open.text
        );
        let mean = open.latent_mean();
        let by_hand: f32 = (0..open.k())
            .map(|l| open.latent_attention[l * 64 + 9])
            .sum();
        assert!((mean[9] - by_hand / open.k() as f32).abs() < 1e-6);
        assert_eq!(open.logits, open.tokens.len() * WORDS.len());
        assert_ne!(resolved(other.caption(1.0)).unwrap().text, open.text);
    }

    #[test]
    fn the_lens_ends_at_the_models_own_probability() {
        let caption = resolved(looking_at(blue_triangle()).caption(1.0)).unwrap();
        assert_eq!(caption.blocks_before, [false, true, false, true]);
        for word in &caption.words {
            assert_eq!(word.lens.len(), 4);
            let last = *word.lens.last().unwrap();
            assert!(
                (last - word.step.probability()).abs() < 1e-5,
                "{last} vs {}",
                word.step.probability()
            );
            assert!(word.lens.iter().all(|p| (0.0..=1.0).contains(p)));
        }
    }

    #[test]
    fn nothing_to_caption_before_a_picture() {
        let mut trained = Trained::load(WEIGHTS, &Device::flex()).unwrap();
        assert!(resolved(trained.caption(1.0)).is_err());
        assert!(Trained::load(b"not weights", &Device::flex()).is_err());
    }

    /// A kept caption is the one computed for its own scale and picture: a drag over
    /// scales, back and forth, and then another picture, shows what a fresh model would.
    #[test]
    fn kept_captions_are_those_of_their_scale_and_picture() {
        let mut trained = looking_at(blue_triangle());
        let red_circle = scene(Shape::Circle, Colour::Red, 9);
        let fresh =
            |picture: &Picture, scale: f32| resolved(looking_at(picture).caption(scale)).unwrap();
        assert!(!trained.has_caption(1.0));
        for scale in [1.0, 0.0, 0.05, 1.0, 0.0] {
            assert_eq!(
                resolved(trained.caption(scale)).unwrap(),
                fresh(blue_triangle(), scale)
            );
            assert!(trained.has_caption(scale));
        }
        assert!(!trained.has_caption(0.5));
        assert_eq!(trained.kept_captions(), 3);
        resolved(trained.see(&red_circle));
        assert!(
            !trained.has_caption(1.0),
            "a new picture keeps none of the last one's"
        );
        assert_eq!(trained.kept_captions(), 0);
        let open = resolved(trained.caption(1.0)).unwrap();
        assert_eq!(open, fresh(&red_circle, 1.0));
        assert_ne!(open.text, fresh(blue_triangle(), 1.0).text);
    }
}
