//! Greedy generation: captions and few-shot answers, with each step's probabilities.
//!
//! Results are read back asynchronously, as a browser requires; native callers on
//! the CPU, whose readbacks are ready at once, wait with [`resolved`].

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use burn::tensor::Tensor;
use burn::tensor::activation::softmax;
use flamingo::Gating;

use crate::model::{Batch, MiniFlamingo};
use crate::scene::Picture;
use crate::vocab::{CAPTION_PROMPT, EOC, IMAGE, PAD, episode_tokens, word};

/// One generated word and the distribution it was taken from.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub token: u32,
    /// Over the whole vocabulary.
    pub probabilities: Vec<f32>,
}

impl Step {
    /// The most likely word of one row of probabilities (the first of equals) that
    /// text may hold: never `<pad>`, and never `<image>`, which would need a picture.
    pub fn from_probabilities(probabilities: Vec<f32>) -> Step {
        let token = (0..)
            .zip(&probabilities)
            .filter(|&(t, _)| t != PAD && t != IMAGE)
            .fold((EOC, f32::NEG_INFINITY), |best, (t, &p)| {
                if p > best.1 { (t, p) } else { best }
            })
            .0;
        Step {
            token,
            probabilities,
        }
    }

    pub fn word(&self) -> &'static str {
        word(self.token)
    }

    pub fn probability(&self) -> f32 {
        self.probabilities[self.token as usize]
    }

    /// The `n` most likely words, most likely first.
    pub fn top(&self, n: usize) -> Vec<(&'static str, f32)> {
        let mut ranked: Vec<(u32, f32)> = (0..).zip(self.probabilities.iter().copied()).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
            .into_iter()
            .take(n)
            .map(|(t, p)| (word(t), p))
            .collect()
    }
}

/// The value of a future that needs no waiting: a readback from burn's CPU backend.
///
/// # Panics
/// If the future is not ready at once (a GPU readback).
pub fn resolved<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a readback was not ready: only the CPU backend answers at once"),
    }
}

/// A tensor's values, in order.
pub async fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data_async()
        .await
        .expect("a readback of a live tensor")
        .try_to_vec()
        .expect("f32 values")
}

/// For each sequence, the next word's distribution after its last token.
pub async fn next_words(
    model: &MiniFlamingo,
    sequences: &[(&[u32], &[Picture])],
    gating: Gating,
) -> Vec<Step> {
    let batch = Batch::new(sequences, &model.device());
    let (media, _) = model.media(&batch);
    next_words_seeing(model, &batch, media, gating).await
}

/// [`next_words`] for a batch whose visual tokens were made already
/// ([`MiniFlamingo::media`]): the same forward from the gated blocks on, so the same
/// numbers bit for bit, without encoding the pictures again while only the gate moves.
pub async fn next_words_seeing(
    model: &MiniFlamingo,
    batch: &Batch,
    media: Tensor<4>,
    gating: Gating,
) -> Vec<Step> {
    let logits = model.decode(batch, media, gating).logits;
    let [b, t, vocab] = logits.dims();
    let probabilities = read(softmax(logits, 2)).await;
    (0..b)
        .map(|i| {
            let last = batch.ids[i].len() - 1;
            let at = (i * t + last) * vocab;
            Step::from_probabilities(probabilities[at..at + vocab].to_vec())
        })
        .collect()
}

/// Greedy continuations of several prompts in lockstep, until `<eoc>` or `max_new` words.
pub async fn generate(
    model: &MiniFlamingo,
    prompts: &[(Vec<u32>, Vec<Picture>)],
    gating: Gating,
    max_new: usize,
) -> Vec<Vec<Step>> {
    let mut tokens: Vec<Vec<u32>> = prompts.iter().map(|(t, _)| t.clone()).collect();
    let mut out: Vec<Vec<Step>> = vec![Vec::new(); prompts.len()];
    for _ in 0..max_new {
        let open: Vec<usize> = (0..prompts.len())
            .filter(|&i| out[i].last().is_none_or(|s| s.token != EOC))
            .collect();
        if open.is_empty() {
            break;
        }
        let sequences: Vec<(&[u32], &[Picture])> = open
            .iter()
            .map(|&i| (tokens[i].as_slice(), prompts[i].1.as_slice()))
            .collect();
        for (&i, step) in open.iter().zip(next_words(model, &sequences, gating).await) {
            tokens[i].push(step.token);
            out[i].push(step);
        }
    }
    out
}

/// The most words a caption gets: "an orange circle and an orange cross <eoc>" needs eight.
pub const CAPTION_WORDS: usize = 8;

/// The words generated after `<image> shows` for one picture, `<eoc>` last if it came.
pub async fn caption(model: &MiniFlamingo, picture: &Picture, gating: Gating) -> Vec<Step> {
    generate(
        model,
        &[(CAPTION_PROMPT.to_vec(), vec![picture.fit()])],
        gating,
        CAPTION_WORDS,
    )
    .await
    .pop()
    .expect("one prompt")
}

/// The caption as read: the generated words without `<eoc>`.
pub fn caption_text(steps: &[Step]) -> String {
    steps
        .iter()
        .filter(|s| s.token != EOC)
        .map(Step::word)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A few-shot episode as the model reads it, the task left unsaid:
/// `<image> : answer <eoc> … <image> :`, and its pictures fitted to 32 × 32.
pub fn episode(shots: &[(Picture, u32)], query: &Picture) -> (Vec<u32>, Vec<Picture>) {
    let answers: Vec<u32> = shots.iter().map(|(_, a)| *a).collect();
    let pictures = shots
        .iter()
        .map(|(p, _)| p)
        .chain([query])
        .map(Picture::fit)
        .collect();
    (episode_tokens(&answers, None), pictures)
}

/// The answer to an [`episode`].
pub async fn few_shot(
    model: &MiniFlamingo,
    shots: &[(Picture, u32)],
    query: &Picture,
    gating: Gating,
) -> Step {
    let (tokens, pictures) = episode(shots, query);
    next_words(model, &[(&tokens, &pictures)], gating)
        .await
        .pop()
        .expect("one sequence")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::A;

    #[test]
    fn a_step_takes_the_likeliest_word_text_may_hold() {
        let mut p = vec![0.0; crate::vocab::WORDS.len()];
        p[IMAGE as usize] = 0.5;
        p[PAD as usize] = 0.2;
        p[A as usize] = 0.2;
        p[EOC as usize] = 0.1;
        let step = Step::from_probabilities(p);
        assert_eq!(step.word(), "a");
        assert_eq!(step.probability(), 0.2);
        assert_eq!(step.top(2), [("<image>", 0.5), ("<pad>", 0.2)]);
    }
}
