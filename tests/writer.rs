#![cfg(feature = "writer")]

#[test]
fn placeholder() {}
