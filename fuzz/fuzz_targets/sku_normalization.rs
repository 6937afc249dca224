//! Any text as a SKU: the safe fix is idempotent (fixing the fixed value changes
//! nothing), never grows invisible characters back, and keeps the SKU's
//! near-duplicate key, so a fix can never move a SKU into another's DUP002 group.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skulint::text::{is_invisible, near_duplicate_key, safe_fix, visible};

fuzz_target!(|text: &str| {
    let fixed = safe_fix(text);
    assert_eq!(
        safe_fix(&fixed),
        fixed,
        "safe_fix is not idempotent on {text:?}"
    );
    assert!(
        !fixed.chars().any(is_invisible),
        "safe_fix left an invisible character in {:?}",
        visible(&fixed)
    );
    // Spaces as SKU001/SKU002 define them: ASCII spaces after invisibles became spaces.
    // (U+2028, U+2029 and U+1680 are Unicode white space that SKU003 does not cover.)
    assert!(!fixed.contains("  ") && fixed.trim_matches(' ') == fixed);
    let key = near_duplicate_key(text);
    assert_eq!(
        near_duplicate_key(&key),
        key,
        "the key is not stable for {text:?}"
    );
    assert_eq!(
        near_duplicate_key(&fixed),
        key,
        "fixing {text:?} changed its near-duplicate key"
    );
});
