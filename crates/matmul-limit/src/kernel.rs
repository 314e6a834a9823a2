//! A matrix product blocked for 128-bit SIMD: B packed into panels of [`NR`] columns,
//! A into panels of `MR` rows, and each `MR` × [`NR`] block of C summed in registers
//! over the whole depth (`2 · MR` vectors of four). The same loop runs natively on
//! plain arrays, so the unit test checks the arithmetic the browser runs.

/// Columns of a block: two vectors of four.
pub const NR: usize = 8;

#[cfg(target_arch = "wasm32")]
mod lanes {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};

    #[derive(Clone, Copy)]
    pub struct F4(v128);

    impl F4 {
        #[inline(always)]
        pub fn zero() -> F4 {
            F4(f32x4_splat(0.0))
        }
        #[inline(always)]
        pub fn splat(x: f32) -> F4 {
            F4(f32x4_splat(x))
        }
        /// # Safety
        /// Four values must be readable at `p`.
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> F4 {
            // SAFETY: the caller's promise; wasm loads need no alignment.
            F4(unsafe { v128_load(p.cast()) })
        }
        /// # Safety
        /// Four values must be writable at `p`.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller's promise.
            unsafe { v128_store(p.cast(), self.0) }
        }
        #[inline(always)]
        pub fn mul_add(self, a: F4, b: F4) -> F4 {
            F4(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod lanes {
    #[derive(Clone, Copy)]
    pub struct F4([f32; 4]);

    impl F4 {
        pub fn zero() -> F4 {
            F4([0.0; 4])
        }
        pub fn splat(x: f32) -> F4 {
            F4([x; 4])
        }
        /// # Safety
        /// Four values must be readable at `p`.
        pub unsafe fn load(p: *const f32) -> F4 {
            // SAFETY: the caller's promise.
            F4(unsafe { p.cast::<[f32; 4]>().read_unaligned() })
        }
        /// # Safety
        /// Four values must be writable at `p`.
        pub unsafe fn store(self, p: *mut f32) {
            // SAFETY: the caller's promise.
            unsafe { p.cast::<[f32; 4]>().write_unaligned(self.0) }
        }
        pub fn mul_add(self, a: F4, b: F4) -> F4 {
            F4(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
        }
    }
}

use lanes::F4;

/// `c = a · b` for row-major `a` (`m` × `k`) and `b` (`k` × `n`); `packed` is scratch.
///
/// # Panics
/// If `m` is not a multiple of `MR`, `n` not a multiple of [`NR`], or a slice is short.
#[allow(clippy::too_many_arguments)]
pub fn matmul<const MR: usize>(
    a: &[f32],
    b: &[f32],
    c: &mut [f32],
    m: usize,
    k: usize,
    n: usize,
    packed: &mut Vec<f32>,
) {
    assert!(
        m.is_multiple_of(MR) && n.is_multiple_of(NR),
        "blocks of {MR} × {NR}"
    );
    assert!(a.len() >= m * k && b.len() >= k * n && c.len() >= m * n);
    packed.clear();
    packed.reserve(k * (n + m));
    // B's panels: for each block of columns, row p's NR values one after another.
    for j in (0..n).step_by(NR) {
        for p in 0..k {
            packed.extend_from_slice(&b[p * n + j..p * n + j + NR]);
        }
    }
    // A's panels: for each block of rows, column p's MR values one after another.
    for i in (0..m).step_by(MR) {
        for p in 0..k {
            packed.extend((0..MR).map(|r| a[(i + r) * k + p]));
        }
    }
    let (b_panels, a_panels) = packed.split_at(k * n);
    for (jb, b_panel) in b_panels.chunks_exact(k * NR).enumerate() {
        for (ib, a_panel) in a_panels.chunks_exact(k * MR).enumerate() {
            let mut acc = [[F4::zero(); 2]; MR];
            for p in 0..k {
                // SAFETY: a panel holds k · NR values, so p · NR + 8 ≤ k · NR.
                let (b0, b1) = unsafe {
                    let at = b_panel.as_ptr().add(p * NR);
                    (F4::load(at), F4::load(at.add(4)))
                };
                for (r, row) in acc.iter_mut().enumerate() {
                    let x = F4::splat(a_panel[p * MR + r]);
                    row[0] = row[0].mul_add(x, b0);
                    row[1] = row[1].mul_add(x, b1);
                }
            }
            for (r, row) in acc.iter().enumerate() {
                let at = (ib * MR + r) * n + jb * NR;
                let out = &mut c[at..at + NR];
                // SAFETY: `out` holds NR = 8 values.
                unsafe {
                    row[0].store(out.as_mut_ptr());
                    row[1].store(out.as_mut_ptr().add(4));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_give_the_plain_product() {
        let (m, k, n) = (12, 37, 16);
        let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.5 - 1.0).collect();
        let mut want = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                want[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        let mut packed = Vec::new();
        for got in [
            {
                let mut c = vec![f32::NAN; m * n];
                matmul::<4>(&a, &b, &mut c, m, k, n, &mut packed);
                c
            },
            {
                let mut c = vec![f32::NAN; m * n];
                matmul::<6>(&a, &b, &mut c, m, k, n, &mut packed);
                c
            },
        ] {
            // Small integers and halves: every sum is exact in f32, in any order.
            assert_eq!(got, want);
        }
    }
}
