//! The pool's promise: labs that each resample some of the images and one that joins
//! the parts give the frame one lab computes alone, bit for bit.
//!
//! Its own test binary, so nothing else computes meanwhile: natively, burn's CPU backend
//! does not give the same bits for the same forward while other tests compute in the
//! same process (two runs of one request differed so), while the browser, where the
//! pool runs, computes each lab on one thread (`web/e2e/workers.test.mjs` compares the
//! pool's frames with one worker's there).

use flamingo::burn::tensor::Device;
use flamingo::{Interleaved, MaskRule};
use lab::{Lab, Part, Pictures, Request, bounds, split};
use mini::inference::resolved;

fn lab() -> Lab {
    let size = bounds::SIZES[0];
    let picture = |shift: usize| {
        (0..size * size * 4)
            .map(|i| ((i * 7 + shift) % 251) as u8)
            .collect()
    };
    Lab::new(
        Device::flex(),
        vec![Pictures {
            size,
            rgba: vec![picture(0), picture(90)],
        }],
    )
}

#[test]
fn parts_from_several_labs_join_to_one_labs_frame_bit_for_bit() {
    let prompt = Interleaved::parse("a <image> cat b <image> dog <image> c <video:2> d");
    for (k, alpha, head) in [(8, 1.0, None), (5, -2.5, Some(3)), (12, 0.7, Some(0))] {
        let r = Request {
            k,
            depth: 2,
            patch: 56,
            size: bounds::SIZES[0],
            width: 64,
            alpha,
            ff: alpha,
            prompt: prompt.clone(),
            mode: MaskRule::MostRecent,
            layer: 1,
            head,
        };
        let alone = resolved(lab().run(&r)).unwrap().to_bytes();
        for workers in 2..=4 {
            let mut labs: Vec<Lab> = (0..workers).map(|_| lab()).collect();
            let parts: Vec<Part> = split(4, workers)
                .into_iter()
                .zip(&mut labs)
                .map(|((first, images), lab)| resolved(lab.part(&r, first, images)).unwrap())
                .collect();
            let joined = resolved(labs[0].join(&r, &parts)).unwrap().to_bytes();
            assert!(
                joined == alone,
                "k {k} alpha {alpha}: {workers} labs differ"
            );
        }
    }
}
