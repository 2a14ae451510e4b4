//! What the worked-example tests share: reading a `name = value` block out of PROTOCOL.md.

use std::collections::BTreeMap;

/// The `name = value` lines of the first `text` block after the heading `heading` (exactly
/// that heading line, so `### Worked example` is not `### Worked example with identities`).
pub fn documented_vector(heading: &str) -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../PROTOCOL.md");
    let doc = std::fs::read_to_string(path).expect("PROTOCOL.md is readable");
    let section = doc
        .split(&format!("{heading}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("PROTOCOL.md has a '{heading}' section"));
    let block = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section has a text block");
    block
        .lines()
        .filter_map(|line| line.split_once(" = "))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Lowercase hex, as the examples write bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fails unless the example in PROTOCOL.md (`doc`) is exactly what the code computes, printing
/// the computed block to paste when they differ.
pub fn assert_example_is(
    doc: &BTreeMap<String, String>,
    computed: &BTreeMap<String, String>,
    what: &str,
) {
    let block: String = computed
        .iter()
        .map(|(k, v)| format!("{k} = {v}\n"))
        .collect();
    assert_eq!(
        doc, computed,
        "PROTOCOL.md's {what} differs from the code; the code computes:\n{block}"
    );
}
