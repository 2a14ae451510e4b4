//! Diffie-Hellman tests: the RFC 7919 primes are what the RFC defines, both sides agree in
//! every group, malformed or degenerate public values are refused, and the toy group falls to
//! brute force.
//!
//! `num-bigint` serves as an independent implementation to check moduli, exponentiation and
//! decimal text against.

use std::time::{Duration, Instant};

use common::dh::{DhError, Group, KeyPair, PublicValue};
use num_bigint::BigUint;
use rand::Rng;

/// `p` of `group` as a `BigUint`.
fn modulus(group: Group) -> BigUint {
    BigUint::from_bytes_be(&group.modulus_be_bytes())
}

/// The value of a public value, independently of its `Display`.
fn value(public: &PublicValue) -> BigUint {
    BigUint::from_bytes_be(&public.to_be_bytes())
}

/// A uniformly random private exponent in `2..=p-2`, as fixed-length big-endian bytes.
fn random_private(group: Group) -> Vec<u8> {
    let p = modulus(group);
    let mut rng = rand::thread_rng();
    loop {
        let mut bytes = vec![0u8; group.byte_len()];
        rng.fill(bytes.as_mut_slice());
        let x = BigUint::from_bytes_be(&bytes);
        if x >= BigUint::from(2u8) && x <= &p - 2u8 {
            return bytes;
        }
    }
}

/// `floor(2^shift * e)`, from the series e = sum 1/n! with 64 guard bits.
fn e_times_power_of_two(shift: usize) -> BigUint {
    let scale = BigUint::from(1u8) << (shift + 64);
    let mut sum = BigUint::from(0u8);
    let mut term = scale; // scale / n!
    let mut n = 1u32;
    while term > BigUint::from(0u8) {
        sum += &term;
        term /= n;
        n += 1;
    }
    // Each of the ~n truncations loses less than one unit of 2^-64; n is far below 2^64.
    sum >> 64
}

/// The names parse and print as `toy`, `ffdhe2048`, `ffdhe3072`; the default is ffdhe2048.
#[test]
fn group_names_round_trip() {
    for (name, group) in [
        ("toy", Group::Toy),
        ("ffdhe2048", Group::Ffdhe2048),
        ("ffdhe3072", Group::Ffdhe3072),
    ] {
        assert_eq!(name.parse::<Group>().unwrap(), group);
        assert_eq!(group.to_string(), name);
    }
    assert_eq!(Group::default(), Group::Ffdhe2048);
}

/// An unknown group name is refused with a message naming it and every known group.
#[test]
fn unknown_group_names_the_known_ones() {
    for bad in ["ffdhe4096", "", "TOY", " toy", "modp2048"] {
        let err = bad.parse::<Group>().unwrap_err();
        assert_eq!(err.name, bad);
        let message = err.to_string();
        for known in ["toy", "ffdhe2048", "ffdhe3072"] {
            assert!(message.contains(known), "{message}");
        }
    }
}

/// The toy group is the original program's: p = 1999, g = 1777.
#[test]
fn toy_group_is_the_originals() {
    assert_eq!(modulus(Group::Toy), BigUint::from(1999u32));
    assert_eq!(Group::Toy.generator(), 1777);
    assert_eq!(Group::Toy.byte_len(), 2);
}

/// The embedded ffdhe primes have the right length, all-ones top and bottom 64 bits, p = 7 mod 8
/// (so g = 2 generates the prime-order subgroup), equal the RFC 7919 formula
/// p = 2^b - 2^{b-64} + {[2^{b-130} e] + X} * 2^64 - 1 with the RFC's X, and pass Fermat tests
/// as safe primes.
#[test]
fn ffdhe_primes_are_rfc_7919() {
    for (group, bits, x) in [
        (Group::Ffdhe2048, 2048usize, 560_316u32),
        (Group::Ffdhe3072, 3072, 2_625_351),
    ] {
        let p = modulus(group);
        assert_eq!(group.generator(), 2);
        assert_eq!(p.bits(), bits as u64, "{group}");
        assert_eq!(group.byte_len() * 8, bits);
        let ones64 = BigUint::from(u64::MAX);
        assert_eq!(&p >> (bits - 64), ones64, "{group}: top 64 bits");
        assert_eq!(&p & &ones64, ones64, "{group}: bottom 64 bits");
        assert_eq!(&p % 8u8, BigUint::from(7u8), "{group}: p mod 8");

        let one = BigUint::from(1u8);
        let formula = (&one << bits) - (&one << (bits - 64))
            + ((e_times_power_of_two(bits - 130) + x) << 64)
            - 1u8;
        assert_eq!(p, formula, "{group}: RFC 7919 formula");

        let q = (&p - 1u8) >> 1;
        for base in [2u8, 3, 5] {
            let base = BigUint::from(base);
            assert_eq!(base.modpow(&(&p - 1u8), &p), one, "{group}: Fermat on p");
            assert_eq!(base.modpow(&(&q - 1u8), &q), one, "{group}: Fermat on q");
        }
        // g = 2 is a quadratic residue, so its order is q, not 2q.
        assert_eq!(BigUint::from(2u8).modpow(&q, &p), one);
    }
}

/// In every group, two freshly generated key pairs reach the same shared secret, of the
/// modulus' length.
#[test]
fn both_sides_agree_in_every_group() {
    for group in Group::ALL {
        for _ in 0..2 {
            let alice = KeyPair::generate(group);
            let bob = KeyPair::generate(group);
            let shared = alice.agree(bob.public());
            assert_eq!(shared, bob.agree(alice.public()), "{group}");
            assert_eq!(shared.as_be_bytes().len(), group.byte_len());
            assert_eq!(alice.public().to_be_bytes().len(), group.byte_len());
            assert_ne!(alice.public(), bob.public(), "{group}: two draws collided");
        }
    }
}

/// With chosen exponents, public values and secrets equal `num-bigint`'s `modpow`, and the
/// decimal text equals `num-bigint`'s and parses back to the same value.
#[test]
fn matches_independent_modpow_and_decimal() {
    for group in Group::ALL {
        let p = modulus(group);
        let g = BigUint::from(group.generator());
        for _ in 0..2 {
            let (a, b) = (random_private(group), random_private(group));
            let (Ok(alice), Ok(bob)) = (
                KeyPair::from_private_be(group, &a),
                KeyPair::from_private_be(group, &b),
            ) else {
                continue; // degenerate exponent in the toy group; tested elsewhere
            };
            let (a, b) = (BigUint::from_bytes_be(&a), BigUint::from_bytes_be(&b));
            assert_eq!(value(alice.public()), g.modpow(&a, &p), "{group}");
            let shared = BigUint::from_bytes_be(alice.agree(bob.public()).as_be_bytes());
            assert_eq!(shared, g.modpow(&(&a * &b), &p), "{group}");

            let text = alice.public().to_string();
            assert_eq!(text, value(alice.public()).to_str_radix(10));
            assert_eq!(&PublicValue::parse(group, &text).unwrap(), alice.public());
        }
    }
}

/// The extremes of the accepted range, 2 and p-2, parse and print unchanged.
#[test]
fn range_ends_are_accepted() {
    for group in Group::ALL {
        for v in [BigUint::from(2u8), modulus(group) - 2u8] {
            let text = v.to_str_radix(10);
            let parsed = PublicValue::parse(group, &text).unwrap();
            assert_eq!(parsed.to_string(), text);
            assert_eq!(value(&parsed), v);
            assert_eq!(parsed.group(), group);
        }
    }
}

/// Degenerate values (0, 1, p-1), values too large (p, p+1, a thousand digits) and text that is
/// not a canonical decimal number are refused with distinct errors.
#[test]
fn bad_public_values_are_refused() {
    for group in Group::ALL {
        let p = modulus(group);
        let out_of_range = Err(DhError::OutOfRange { group });
        for v in [
            BigUint::from(0u8),
            BigUint::from(1u8),
            &p - 1u8,
            p.clone(),
            &p + 1u8,
            &p * 1000u32,
        ] {
            let text = v.to_str_radix(10);
            assert_eq!(
                PublicValue::parse(group, &text),
                out_of_range,
                "{group}: {text}"
            );
        }
        let huge = "9".repeat(1000);
        assert_eq!(PublicValue::parse(group, &huge), out_of_range);

        for (text, expected) in [
            ("", DhError::Empty),
            ("abc", DhError::NotDecimal),
            ("-5", DhError::NotDecimal),
            ("+5", DhError::NotDecimal),
            (" 12", DhError::NotDecimal),
            ("12 ", DhError::NotDecimal),
            ("1 2", DhError::NotDecimal),
            ("12\n", DhError::NotDecimal),
            ("0x1f", DhError::NotDecimal),
            ("1e3", DhError::NotDecimal),
            ("1.5", DhError::NotDecimal),
            ("١٢", DhError::NotDecimal),
            ("012", DhError::LeadingZero),
            ("00", DhError::LeadingZero),
        ] {
            assert_eq!(
                PublicValue::parse(group, text),
                Err(expected),
                "{group}: {text:?}"
            );
        }
    }
}

/// Every refusal explains itself in a sentence that names the problem.
#[test]
fn error_messages_name_the_problem() {
    let message = DhError::OutOfRange {
        group: Group::Ffdhe2048,
    }
    .to_string();
    assert!(
        message.contains("2..=p-2") && message.contains("ffdhe2048"),
        "{message}"
    );
    assert!(DhError::NotDecimal.to_string().contains("decimal"));
    assert!(DhError::LeadingZero.to_string().contains("leading zero"));
}

/// Chosen private exponents outside 2..=p-2 are refused; in the toy group, where g = 1777 has
/// order 999, the exponent 999 gives the public value 1 and is refused as degenerate.
#[test]
fn chosen_private_exponents_are_checked() {
    for group in Group::ALL {
        let p = modulus(group);
        let error = Err(DhError::PrivateOutOfRange { group });
        for x in [BigUint::from(0u8), BigUint::from(1u8), &p - 1u8, p.clone()] {
            assert_eq!(
                group.public_from_private(&x.to_bytes_be()),
                error,
                "{group}: {x}"
            );
        }
        assert!(group.public_from_private(&[2]).is_ok());
    }
    assert_eq!(
        Group::Toy.public_from_private(&999u16.to_be_bytes()),
        Err(DhError::DegenerateKey { group: Group::Toy })
    );
}

/// In the ffdhe groups g = 2 has order (p-1)/2, so that one exponent gives the public value 1
/// and is refused as degenerate, as x = 999 is in the toy group (PROTOCOL.md, "The exchange").
#[test]
fn the_exponent_of_gs_order_is_degenerate_in_every_group() {
    for group in [Group::Ffdhe2048, Group::Ffdhe3072] {
        let order: BigUint = (modulus(group) - 1u8) >> 1;
        assert_eq!(
            group.public_from_private(&order.to_bytes_be()),
            Err(DhError::DegenerateKey { group }),
            "{group}"
        );
        let next: BigUint = &order + 1u8;
        assert!(group.public_from_private(&next.to_bytes_be()).is_ok());
    }
}

/// How `KeyPair::generate` draws, as PROTOCOL.md says: every exponent in 2..=p-2 occurs except
/// the one whose public value is 1 (x = 999 in the toy group), so `A = 1` never does. 60,000
/// draws over 1,995 exponents miss a given one with odds about e^-30.
#[test]
fn toy_exponents_cover_the_range_except_the_degenerate_one() {
    let mut seen = vec![false; 1999];
    for _ in 0..60_000 {
        let pair = KeyPair::generate(Group::Toy);
        let x = u16::from_be_bytes(pair.private_be_bytes().try_into().expect("2 bytes"));
        seen[usize::from(x)] = true;
        assert_ne!(value(pair.public()), BigUint::from(1u8));
    }
    let drawn: Vec<usize> = (0..1999).filter(|&x| seen[x]).collect();
    let documented: Vec<usize> = (2..=1997).filter(|&x| x != 999).collect();
    assert_eq!(drawn, documented);
}

/// Combining public values from different groups is a programming error and panics.
#[test]
#[should_panic(expected = "another Diffie-Hellman group")]
fn agreeing_across_groups_panics() {
    let toy = KeyPair::generate(Group::Toy);
    let big = KeyPair::generate(Group::Ffdhe2048);
    toy.agree(big.public());
}

/// The toy group offers no protection: an eavesdropper who sees only the two public values (as
/// decimal text on the wire) tries every exponent below 1999, finds one that gives Alice's public
/// value, and computes the same shared secret as Alice and Bob, in well under a second.
#[test]
fn toy_group_falls_to_brute_force() {
    let alice = KeyPair::generate(Group::Toy);
    let bob = KeyPair::generate(Group::Toy);
    let wire_a = alice.public().to_string();
    let wire_b = bob.public().to_string();

    let started = Instant::now();
    let seen_a = PublicValue::parse(Group::Toy, &wire_a).unwrap();
    let seen_b = PublicValue::parse(Group::Toy, &wire_b).unwrap();
    let mut recovered = None;
    for x in 2u16..1999 {
        if Group::Toy.public_from_private(&x.to_be_bytes()).as_ref() == Ok(&seen_a) {
            let eve = KeyPair::from_private_be(Group::Toy, &x.to_be_bytes()).unwrap();
            recovered = Some((x, eve.agree(&seen_b)));
            break;
        }
    }
    let elapsed = started.elapsed();

    let (x, secret) = recovered.expect("some exponent gives Alice's public value");
    println!(
        "toy group: exponent {x} and the shared secret recovered from {wire_a} and {wire_b} \
         in {elapsed:?}"
    );
    assert_eq!(secret, alice.agree(bob.public()));
    assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
}
