//! The README documents every configuration variable exactly as the code defines it.

use junggye::config::VARIABLES;

fn configuration_table() -> String {
    let mut table = String::from("| variable | default | meaning |\n|---|---|---|\n");
    for v in VARIABLES {
        table.push_str(&format!("| `{}` | {} | {} |\n", v.name, v.default, v.meaning));
    }
    table
}

#[test]
fn the_readme_configuration_table_is_the_one_in_the_code() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- config:start -->\n")
        .expect("config:start marker")
        + "<!-- config:start -->\n".len();
    let end = readme.find("<!-- config:end -->").expect("config:end marker");
    let expected = configuration_table();
    assert!(
        readme[start..end] == expected,
        "README configuration table is stale; replace it with:\n{expected}"
    );
}
