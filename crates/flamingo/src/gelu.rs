//! GELU, `0.5·x·(1 + erf(x/√2))`, as burn's CPU backend computes it, four values at a
//! time.
//!
//! burn-flex applies GELU one value at a time through libm's `erff`, whose branches
//! (a rational function near 0, another up to 1.25, two `expf` beyond) keep the compiler
//! from using the vector unit: in the browser a fifth of "Measure" went there
//! (BENCHMARKS.md). Here the values are sorted by branch, and each branch runs on four
//! of them at once ([`lanes`]: the browser's 128-bit vectors in wasm), with libm's
//! operations in libm's order: the same bits as burn-flex (a test compares every `f32` on
//! request and a spread of them always; the page compares the two in the browser), so
//! every number the page and the trainer report is unchanged. Other devices (WebGPU,
//! and autodiff, whose graph needs burn's own op) are left to burn.

// libm's constants, digit for digit as its source writes them.
#![allow(clippy::excessive_precision)]

use burn::tensor::{DType, Device, Tensor, TensorData, activation};

use lanes::{F4, I4};

/// GELU with the bits of burn-flex's, computed here on the plain CPU device.
pub fn gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    let device = x.device();
    if device != Device::flex() || device.is_autodiff() || x.dtype() != DType::F32 {
        return activation::gelu(x);
    }
    let shape = x.shape();
    let mut values = x
        .into_data()
        .try_into_vec::<f32>()
        .expect("an f32 tensor, as checked above");
    gelu_in_place(&mut values);
    Tensor::from_data(TensorData::new(values, shape), &device)
}

/// Of `values`, how many get other bits from [`gelu_in_place`] than from burn's own GELU on
/// the CPU (a NaN equals a NaN): the native tests and the page's test build ask this.
pub fn differing_from_burn(values: &[f32]) -> usize {
    let mut ours = values.to_vec();
    gelu_in_place(&mut ours);
    let x = Tensor::<1>::from_data(
        TensorData::new(values.to_vec(), [values.len()]),
        &Device::flex(),
    );
    let burns = activation::gelu(x)
        .into_data()
        .try_into_vec::<f32>()
        .expect("burn's GELU of f32 is f32");
    ours.iter()
        .zip(&burns)
        .filter(|&(&a, &b)| !same_bits(a, b))
        .count()
}

/// The same bits, counting every NaN as one.
fn same_bits(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// GELU of every value, in place.
pub fn gelu_in_place(values: &mut [f32]) {
    let len = values.len();
    // Values whose `erf` takes libm's second and third branches, by index.
    let (mut mid, mut far) = (Gathered::new(len), Gathered::new(len));
    let mut fours = values.chunks_exact_mut(4);
    for (n, four) in (&mut fours).enumerate() {
        gelu_near(four, 4 * n, &mut mid, &mut far);
    }
    let rest = fours.into_remainder();
    if !rest.is_empty() {
        // Padded with a value of the first branch, which no list takes.
        let mut four = [0.5; 4];
        four[..rest.len()].copy_from_slice(rest);
        gelu_near(&mut four, len - rest.len(), &mut mid, &mut far);
        let n = rest.len();
        rest.copy_from_slice(&four[..n]);
    }
    gelu_gathered(values, mid.indices(), 1.0, erfc_mid);
    gelu_gathered(values, far.indices(), 2.0, erfc_far);
}

/// Indices taken four lanes at a time without a branch per lane (which branch a value
/// takes is as good as random, and a mispredicted branch costs more than its work).
struct Gathered {
    at: Vec<u32>,
    n: usize,
}

impl Gathered {
    fn new(most: usize) -> Self {
        Gathered {
            at: vec![0; most + 4],
            n: 0,
        }
    }

    /// Lanes of `first` (the value's index) whose bit in `lanes` is set.
    #[inline(always)]
    fn take(&mut self, first: usize, lanes: u32) {
        for lane in 0..4 {
            self.at[self.n] = (first + lane) as u32;
            self.n += ((lanes >> lane) & 1) as usize;
        }
    }

    fn indices(&self) -> &[u32] {
        &self.at[..self.n]
    }
}

/// burn-flex's `0.5 * x * (1.0 + erf(x / SQRT_2))`, given its `erf`.
#[inline(always)]
fn from_erf(x: F4, erf: F4) -> F4 {
    F4::splat(0.5) * x * (F4::splat(1.0) + erf)
}

#[inline(always)]
fn erf_argument(x: F4) -> F4 {
    x / F4::splat(core::f32::consts::SQRT_2)
}

/// GELU of four values (the `at`-th on) where `erf` takes its first branch; the indices
/// of the others that take its second or third in `mid` and `far`, left as they are.
#[inline(always)]
fn gelu_near(four: &mut [f32], at: usize, mid: &mut Gathered, far: &mut Gathered) {
    let x = F4::load(four);
    let t = erf_argument(x);
    let ix = t.bits() & I4::splat(0x7fff_ffff);
    let below = |bound: u32| ix.lt(I4::splat(bound as i32));
    let first = !below(TINY) & below(NEAR);
    let y = from_erf(x, near(t));
    if first.all() {
        y.store(four);
        return;
    }
    first.select(y, x).store(four);
    let (second, third) = (!below(NEAR) & below(MID), !below(MID) & below(SIX));
    mid.take(at, second.lanes());
    far.take(at, third.lanes());
    let rare = !(first.lanes() | second.lanes() | third.lanes()) & 0b1111;
    if rare != 0 {
        for lane in (0..4).filter(|lane| rare >> lane & 1 == 1) {
            let x = four[lane];
            four[lane] = 0.5 * x * (1.0 + rare_erf(x / core::f32::consts::SQRT_2));
        }
    }
}

/// GELU of the values at `indices`, whose `erf` is `1 - erfc(|t|)` signed as `t`: gathered,
/// four at a time, the last four padded (with `pad`, a value of `erfc`'s range, as `|t|`).
fn gelu_gathered(values: &mut [f32], indices: &[u32], pad: f32, erfc: impl Fn(F4) -> F4) {
    for group in indices.chunks(4) {
        let mut x = [pad * core::f32::consts::SQRT_2; 4];
        for (x, &i) in x.iter_mut().zip(group) {
            *x = values[i as usize];
        }
        let x = F4::load(&x);
        let t = erf_argument(x);
        let sign = t.bits() & I4::splat(i32::MIN);
        let c = erfc(F4::from_bits(t.bits() & I4::splat(0x7fff_ffff)));
        let whole = F4::splat(1.0) - c;
        let erf = F4::from_bits(whole.bits() ^ sign);
        let mut y = [0.0; 4];
        from_erf(x, erf).store(&mut y);
        for (&i, y) in group.iter().zip(y) {
            values[i as usize] = y;
        }
    }
}

// libm 0.2's `erff` (FreeBSD's s_erff.c) constants.
const ERX: f32 = 8.4506291151e-01;
const EFX8: f32 = 1.0270333290e+00;
const PP: [f32; 5] = [
    1.2837916613e-01,
    -3.2504209876e-01,
    -2.8481749818e-02,
    -5.7702702470e-03,
    -2.3763017452e-05,
];
const QQ: [f32; 5] = [
    3.9791721106e-01,
    6.5022252500e-02,
    5.0813062117e-03,
    1.3249473704e-04,
    -3.9602282413e-06,
];
const PA: [f32; 7] = [
    -2.3621185683e-03,
    4.1485610604e-01,
    -3.7220788002e-01,
    3.1834661961e-01,
    -1.1089469492e-01,
    3.5478305072e-02,
    -2.1663755178e-03,
];
const QA: [f32; 6] = [
    1.0642088205e-01,
    5.4039794207e-01,
    7.1828655899e-02,
    1.2617121637e-01,
    1.3637083583e-02,
    1.1984500103e-02,
];
const RA: [f32; 8] = [
    -9.8649440333e-03,
    -6.9385856390e-01,
    -1.0558626175e+01,
    -6.2375331879e+01,
    -1.6239666748e+02,
    -1.8460508728e+02,
    -8.1287437439e+01,
    -9.8143291473e+00,
];
const SA: [f32; 8] = [
    1.9651271820e+01,
    1.3765776062e+02,
    4.3456588745e+02,
    6.4538726807e+02,
    4.2900814819e+02,
    1.0863500214e+02,
    6.5702495575e+00,
    -6.0424413532e-02,
];
const RB: [f32; 7] = [
    -9.8649431020e-03,
    -7.9928326607e-01,
    -1.7757955551e+01,
    -1.6063638306e+02,
    -6.3756646729e+02,
    -1.0250950928e+03,
    -4.8351919556e+02,
];
const SB: [f32; 7] = [
    3.0338060379e+01,
    3.2579251099e+02,
    1.5367296143e+03,
    3.1998581543e+03,
    2.5530502930e+03,
    4.7452853394e+02,
    -2.2440952301e+01,
];

/// `c[0] + s·(c[1] + s·(… + s·c[n-1]))`, libm's nesting.
#[inline(always)]
fn horner<const N: usize, C: Copy + Into<F4>>(c: &[C; N], s: F4) -> F4 {
    let mut acc: F4 = c[N - 1].into();
    for &k in c[..N - 1].iter().rev() {
        acc = k.into() + s * acc;
    }
    acc
}

/// `1 + s·(q[0] + s·(…))`, libm's denominators.
#[inline(always)]
fn one_plus<const N: usize, C: Copy + Into<F4>>(q: &[C; N], s: F4) -> F4 {
    F4::splat(1.0) + s * horner(q, s)
}

// |x| bounds, as bits, where libm's `erff` changes branch.
const TINY: u32 = 0x3180_0000; // 2^-28
const NEAR: u32 = 0x3f58_0000; // 0.84375
const MID: u32 = 0x3fa0_0000; // 1.25
const FAR: u32 = 0x4036_db6d; // 1/0.35
const SIX: u32 = 0x40c0_0000;
const INF: u32 = 0x7f80_0000;

/// `erff(x)` for |x| < 0.84375.
fn near(x: F4) -> F4 {
    let z = x * x;
    let r = horner(&PP, z);
    let s = one_plus(&QQ, z);
    x + x * (r / s)
}

/// `erfc(a)` for 0.84375 ≤ a < 1.25.
fn erfc_mid(a: F4) -> F4 {
    let s = a - F4::splat(1.0);
    let p = horner(&PA, s);
    let q = one_plus(&QA, s);
    F4::splat(1.0) - F4::splat(ERX) - p / q
}

/// `erfc(a)` for 1.25 ≤ a < 6: libm's two rational functions (below and above 1/0.35)
/// as one, with each lane's coefficients. The shorter ones gain a leading 0, which adds
/// an exact 0 (`s > 0`): the same bits.
fn erfc_far(a: F4) -> F4 {
    let s = F4::splat(1.0) / (a * a);
    let below = a.bits().lt(I4::splat(FAR as i32));
    let pick = |b: &[f32], c: &[f32]| -> [F4; 8] {
        core::array::from_fn(|i| {
            below.select(F4::splat(b[i]), F4::splat(c.get(i).copied().unwrap_or(0.0)))
        })
    };
    let r = horner(&pick(&RA, &RB), s);
    let big_s = one_plus(&pick(&SA, &SB), s);
    let z = F4::from_bits(a.bits() & I4::splat(0xffff_e000_u32 as i32));
    let first = -z * z - F4::splat(0.5625);
    let second = (z - a) * (z + a) + r / big_s;
    expf(first) * expf(second) / a
}

/// `erff(x)` for |x| < 2^-28, |x| ≥ 6, infinities and NaN.
fn rare_erf(x: f32) -> f32 {
    let ix = x.to_bits() & 0x7fff_ffff;
    let sign = if x.is_sign_negative() { 1.0 } else { 0.0 };
    if ix >= INF {
        1.0 - 2.0 * sign + 1.0 / x
    } else if ix < TINY {
        0.125 * (8.0 * x + EFX8 * x)
    } else {
        let whole = 1.0 - f32::from_bits(0x0380_0000);
        if sign != 0.0 { -whole } else { whole }
    }
}

// libm 0.2's `expf` (FreeBSD's e_expf.c) constants.
const LN2_HI: f32 = 6.9314575195e-01;
const LN2_LO: f32 = 1.4286067653e-06;
const INV_LN2: f32 = 1.4426950216e+00;
const P1: f32 = 1.6666625440e-1;
const P2: f32 = -2.7667332906e-3;

/// libm's `expf` for |x| < 87 (what `erfc_far` asks of it): no overflow, underflow or NaN.
/// Its `k = 0` branch is the general one with `k = 0`, which subtracts and adds exact zeros.
fn expf(x: F4) -> F4 {
    let bits = x.bits();
    let hx = bits & I4::splat(0x7fff_ffff);
    let negative = hx.ne(bits);
    let half = negative.select(F4::splat(-0.5), F4::splat(0.5));
    let k = hx.gt(I4::splat(0x3f85_1592)).select_i(
        (F4::splat(INV_LN2) * x + half).trunc(),
        hx.gt(I4::splat(0x3eb1_7218))
            .select_i(negative.select_i(I4::splat(-1), I4::splat(1)), I4::splat(0)),
    );
    let kf = k.to_f32();
    let hi = x - kf * F4::splat(LN2_HI);
    let lo = kf * F4::splat(LN2_LO);
    let r = hi - lo;
    let rr = r * r;
    let c = r - rr * (F4::splat(P1) + rr * F4::splat(P2));
    let e = F4::splat(1.0) + (r * c / (F4::splat(2.0) - c) - lo + hi);
    // libm's `scalbnf(e, k)`: one product by 2^k, exact for these k (−60 < k < 3).
    let scaled = e * F4::from_bits((k + I4::splat(0x7f)).shl23());
    hx.gt(I4::splat(0x3900_0000))
        .select(scaled, F4::splat(1.0) + x)
}

mod lanes {
    //! Four `f32` (or `i32`) lanes with the few operations GELU needs: in wasm the
    //! browser's 128-bit vectors, elsewhere arrays, lane by lane. Both are IEEE single
    //! precision, so both give the same bits.

    use core::ops::{Add, BitAnd, BitXor, Div, Mul, Neg, Not, Sub};

    #[cfg(target_arch = "wasm32")]
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F4(
        #[cfg(target_arch = "wasm32")] v128,
        #[cfg(not(target_arch = "wasm32"))] [f32; 4],
    );

    #[derive(Clone, Copy)]
    pub struct I4(
        #[cfg(target_arch = "wasm32")] v128,
        #[cfg(not(target_arch = "wasm32"))] [i32; 4],
    );

    /// Per lane, all ones or all zeros.
    #[derive(Clone, Copy)]
    pub struct Mask(I4);

    #[cfg(not(target_arch = "wasm32"))]
    fn zip<T: Copy, U>(a: [T; 4], b: [T; 4], f: impl Fn(T, T) -> U) -> [U; 4] {
        core::array::from_fn(|i| f(a[i], b[i]))
    }

    macro_rules! binary {
        ($t:ident, $trait:ident, $method:ident, $wasm:ident, $op:tt) => {
            impl $trait for $t {
                type Output = $t;
                #[inline(always)]
                fn $method(self, other: $t) -> $t {
                    #[cfg(target_arch = "wasm32")]
                    return $t($wasm(self.0, other.0));
                    #[cfg(not(target_arch = "wasm32"))]
                    return $t(zip(self.0, other.0, |a, b| a $op b));
                }
            }
        };
    }
    binary!(F4, Add, add, f32x4_add, +);
    binary!(F4, Sub, sub, f32x4_sub, -);
    binary!(F4, Mul, mul, f32x4_mul, *);
    binary!(F4, Div, div, f32x4_div, /);
    binary!(I4, BitAnd, bitand, v128_and, &);
    binary!(I4, BitXor, bitxor, v128_xor, ^);

    impl Add for I4 {
        type Output = I4;
        #[inline(always)]
        fn add(self, other: I4) -> I4 {
            #[cfg(target_arch = "wasm32")]
            return I4(i32x4_add(self.0, other.0));
            #[cfg(not(target_arch = "wasm32"))]
            return I4(zip(self.0, other.0, i32::wrapping_add));
        }
    }

    impl Neg for F4 {
        type Output = F4;
        #[inline(always)]
        fn neg(self) -> F4 {
            #[cfg(target_arch = "wasm32")]
            return F4(f32x4_neg(self.0));
            #[cfg(not(target_arch = "wasm32"))]
            return F4(self.0.map(|a| -a));
        }
    }

    impl F4 {
        #[inline(always)]
        pub fn splat(v: f32) -> F4 {
            #[cfg(target_arch = "wasm32")]
            return F4(f32x4_splat(v));
            #[cfg(not(target_arch = "wasm32"))]
            return F4([v; 4]);
        }

        /// The first four values of `from`.
        #[inline(always)]
        pub fn load(from: &[f32]) -> F4 {
            let v: [f32; 4] = from[..4].try_into().expect("four values");
            #[cfg(target_arch = "wasm32")]
            return F4(f32x4(v[0], v[1], v[2], v[3]));
            #[cfg(not(target_arch = "wasm32"))]
            return F4(v);
        }

        /// Into the first four values of `to`.
        #[inline(always)]
        pub fn store(self, to: &mut [f32]) {
            #[cfg(target_arch = "wasm32")]
            let v = [
                f32x4_extract_lane::<0>(self.0),
                f32x4_extract_lane::<1>(self.0),
                f32x4_extract_lane::<2>(self.0),
                f32x4_extract_lane::<3>(self.0),
            ];
            #[cfg(not(target_arch = "wasm32"))]
            let v = self.0;
            to[..4].copy_from_slice(&v);
        }

        #[inline(always)]
        pub fn bits(self) -> I4 {
            #[cfg(target_arch = "wasm32")]
            return I4(self.0);
            #[cfg(not(target_arch = "wasm32"))]
            return I4(self.0.map(|a| a.to_bits() as i32));
        }

        #[inline(always)]
        pub fn from_bits(bits: I4) -> F4 {
            #[cfg(target_arch = "wasm32")]
            return F4(bits.0);
            #[cfg(not(target_arch = "wasm32"))]
            return F4(bits.0.map(|b| f32::from_bits(b as u32)));
        }

        /// Rust's `as i32`: toward zero, saturating.
        #[inline(always)]
        pub fn trunc(self) -> I4 {
            #[cfg(target_arch = "wasm32")]
            return I4(i32x4_trunc_sat_f32x4(self.0));
            #[cfg(not(target_arch = "wasm32"))]
            return I4(self.0.map(|a| a as i32));
        }
    }

    impl I4 {
        #[inline(always)]
        pub fn splat(v: i32) -> I4 {
            #[cfg(target_arch = "wasm32")]
            return I4(i32x4_splat(v));
            #[cfg(not(target_arch = "wasm32"))]
            return I4([v; 4]);
        }

        #[inline(always)]
        pub fn to_f32(self) -> F4 {
            #[cfg(target_arch = "wasm32")]
            return F4(f32x4_convert_i32x4(self.0));
            #[cfg(not(target_arch = "wasm32"))]
            return F4(self.0.map(|a| a as f32));
        }

        /// Each lane shifted left by 23: an exponent into its place.
        #[inline(always)]
        pub fn shl23(self) -> I4 {
            #[cfg(target_arch = "wasm32")]
            return I4(i32x4_shl(self.0, 23));
            #[cfg(not(target_arch = "wasm32"))]
            return I4(self.0.map(|a| a.wrapping_shl(23)));
        }

        #[inline(always)]
        pub fn lt(self, other: I4) -> Mask {
            #[cfg(target_arch = "wasm32")]
            return Mask(I4(i32x4_lt(self.0, other.0)));
            #[cfg(not(target_arch = "wasm32"))]
            return Mask(I4(zip(self.0, other.0, |a, b| -i32::from(a < b))));
        }

        #[inline(always)]
        pub fn gt(self, other: I4) -> Mask {
            other.lt(self)
        }

        #[inline(always)]
        pub fn ne(self, other: I4) -> Mask {
            #[cfg(target_arch = "wasm32")]
            return Mask(I4(i32x4_ne(self.0, other.0)));
            #[cfg(not(target_arch = "wasm32"))]
            return Mask(I4(zip(self.0, other.0, |a, b| -i32::from(a != b))));
        }
    }

    impl BitAnd for Mask {
        type Output = Mask;
        #[inline(always)]
        fn bitand(self, other: Mask) -> Mask {
            Mask(self.0 & other.0)
        }
    }

    impl Not for Mask {
        type Output = Mask;
        #[inline(always)]
        fn not(self) -> Mask {
            Mask(self.0 ^ I4::splat(-1))
        }
    }

    impl From<f32> for F4 {
        #[inline(always)]
        fn from(v: f32) -> F4 {
            F4::splat(v)
        }
    }

    impl Mask {
        /// Bit `i` set where lane `i` is.
        #[inline(always)]
        pub fn lanes(self) -> u32 {
            #[cfg(target_arch = "wasm32")]
            return u32::from(i32x4_bitmask((self.0).0));
            #[cfg(not(target_arch = "wasm32"))]
            return (self.0)
                .0
                .iter()
                .enumerate()
                .map(|(i, &m)| u32::from(m != 0) << i)
                .sum();
        }

        /// Whether every lane is set.
        #[inline(always)]
        pub fn all(self) -> bool {
            #[cfg(target_arch = "wasm32")]
            return i32x4_all_true((self.0).0);
            #[cfg(not(target_arch = "wasm32"))]
            return (self.0).0.iter().all(|&m| m != 0);
        }

        /// `yes` where set, `no` elsewhere.
        #[inline(always)]
        pub fn select(self, yes: F4, no: F4) -> F4 {
            F4::from_bits(self.select_i(yes.bits(), no.bits()))
        }

        #[inline(always)]
        pub fn select_i(self, yes: I4, no: I4) -> I4 {
            #[cfg(target_arch = "wasm32")]
            return I4(v128_bitselect(yes.0, no.0, (self.0).0));
            #[cfg(not(target_arch = "wasm32"))]
            return I4(core::array::from_fn(|i| {
                if (self.0).0[i] != 0 {
                    yes.0[i]
                } else {
                    no.0[i]
                }
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `step`-th f32 bit pattern, in blocks; how many.
    fn check(step: usize) -> usize {
        let mut counted = 0;
        for block in (0..1u64 << 32).step_by(1 << 24) {
            let values: Vec<f32> = (block..block + (1 << 24))
                .step_by(step)
                .map(|b| f32::from_bits(b as u32))
                .collect();
            assert_eq!(differing_from_burn(&values), 0, "from {block:#x}");
            counted += values.len();
        }
        counted
    }

    #[test]
    fn the_same_bits_as_burn_flex_across_the_range() {
        // About 4 million values, spread over every sign, exponent and branch.
        assert!(check(1021) > 4_000_000);
    }

    #[test]
    fn the_same_bits_as_burn_flex_where_activations_are() {
        // Every f32 in |x| < 16 at a step of 2^-15 (about two million).
        let values: Vec<f32> = (-(1 << 19)..(1 << 19))
            .map(|i| i as f32 / 32768.0)
            .collect();
        assert_eq!(differing_from_burn(&values), 0);
    }

    #[test]
    #[ignore = "every f32, about 150 s on two cores: cargo test -p flamingo --release gelu -- --ignored"]
    fn the_same_bits_as_burn_flex_for_every_f32() {
        assert_eq!(check(1), 1 << 32);
    }

    #[test]
    fn on_a_tensor_as_burn_computes_it() {
        let device = Device::flex();
        let x = Tensor::<3>::random(
            [2, 7, 33],
            burn::tensor::Distribution::Normal(0.0, 3.0),
            &device,
        );
        let ours = gelu(x.clone()).into_data();
        let burns = activation::gelu(x).into_data();
        assert_eq!(ours.shape(), burns.shape());
        let (ours, burns) = (
            ours.try_into_vec::<f32>().unwrap(),
            burns.try_into_vec::<f32>().unwrap(),
        );
        assert!(ours.iter().zip(&burns).all(|(&a, &b)| same_bits(a, b)));
    }
}
