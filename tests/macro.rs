//! `svcc::main!` compile-fail cases (each with its committed `.stderr`) and
//! a compile-pass case for each example.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/syntax_error.rs");
    t.compile_fail("tests/ui/blocking_handler.rs");
    t.compile_fail("tests/ui/blocking_service.rs");
    t.compile_fail("tests/ui/unknown_executable.rs");
    t.compile_fail("tests/ui/missing_config.rs");
    t.compile_fail("tests/ui/include_no_match.rs");
    t.compile_fail("tests/ui/unsupported_setting.rs");
    t.compile_fail("tests/ui/unquoted_key.rs");
    t.compile_fail("tests/ui/not_a_handler.rs");
    t.compile_fail("tests/ui/settings_unknown_key.rs");
    t.compile_fail("tests/ui/settings_for_plain_handler.rs");
    t.pass("tests/ui/pass_echo.rs");
    t.pass("tests/ui/pass_custom_handler.rs");
    t.pass("tests/ui/pass_mail_login.rs");
}
