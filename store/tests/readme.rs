//! The root README's fleet example is `examples/service.rs`, word for word: the example
//! is compiled (and run by `.ci/redis`), so the README's copy cannot rot.
#![allow(clippy::restriction)]

/// The lines between the example's `// README: begin` and `// README: end` markers.
fn example_block() -> String {
    let example = include_str!("../examples/service.rs");
    let begin = example.find("// README: begin\n").unwrap() + "// README: begin\n".len();
    let end = example.find("// README: end").unwrap();
    example[begin..end].to_owned()
}

#[test]
fn the_readme_fleet_example_is_the_service_example() {
    let readme = include_str!("../../README.md");
    let block = example_block();
    assert!(
        block.lines().count() > 10,
        "the marked block is too short:\n{block}"
    );
    let fenced = format!("```rust,ignore\n{block}```");
    assert!(
        readme.contains(&fenced),
        "README.md's fleet section must hold store/examples/service.rs between its \
         README markers, fenced as rust,ignore:\n{fenced}"
    );
}
