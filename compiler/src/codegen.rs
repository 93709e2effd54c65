//! Model → tokens for `svcc::main!`: every service as a `static`
//! `ServiceSpec` with all values resolved, handlers named by type (chosen at
//! compile time), the effective config embedded, every file read tracked for
//! rebuilds. Errors become one `compile_error!` each, followed by a skeleton
//! `main`, so the user sees the config's errors and nothing else.
//!
//! Plain proc-macro2 + quote: unit-tested as text, no `proc_macro` here.

use crate::check::{codes, BUILTIN_HANDLERS};
use crate::model::tls::{self, SslMode, Tls};
use crate::model::{ListenerKind, Model, Service};
use crate::report::{render_plain, render_short, Diagnostic, Severity};
use crate::syntax::SourceMap;
use crate::Checked;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// A handler given to the macro: `"name" => Type`.
#[derive(Debug, Clone)]
pub struct Handler {
    /// The name a service's `executable` uses.
    pub name: String,
    /// The type implementing `EventHandler` or `BlockingHandler`.
    pub ty: TokenStream,
}

/// What to generate code for.
pub struct Input<'a> {
    /// The checked config, checked with [`crate::Options::for_build`] and
    /// the handlers' names in [`crate::Options::handlers`].
    pub checked: &'a Checked,
    /// Handlers given to the macro (they may shadow built-ins).
    pub handlers: &'a [Handler],
    /// The path of the facade crate (`::svcc`).
    pub krate: TokenStream,
}

/// The services the tailored binary runs: config services Dovecot would
/// run (an executable, and an enabled protocol).
pub fn runnable(model: &Model) -> impl Iterator<Item = &Service> {
    model.services.iter().filter(|s| s.enabled(&model.globals))
}

/// Problems only the code generator sees: executables that name no handler,
/// listeners the runtime cannot serve, settings it would not honour.
/// `handlers` names the handlers given to the macro. The checker runs this
/// when [`crate::Options::for_build`] is set, before suppressions apply.
pub fn diagnostics(
    doc: &crate::syntax::Document,
    model: &Model,
    handlers: &[&str],
) -> Vec<Diagnostic> {
    let mut out = crate::check::unsupported::check(doc, model);
    if runnable(model).next().is_none() {
        let mut d = Diagnostic::error(codes::NO_SERVICES, "the config has no service to run");
        let disabled: Vec<&str> = model
            .services
            .iter()
            .filter(|s| !s.enabled(&model.globals))
            .map(|s| s.name.as_str())
            .collect();
        d = match model.services.iter().find_map(|s| s.header) {
            Some(h) => d.label(h, "no service in this config runs"),
            None => d,
        };
        d = if disabled.is_empty() {
            d.help("add a `service NAME { executable = echo|discard|banner|http|peer|<your handler> ... }` block")
        } else {
            d.help(format!(
                "{} not run: give each an `executable`, and add its `protocol` to `protocols` (or remove the `protocol` line)",
                disabled.join(", ")
            ))
        };
        out.push(d);
    }
    let known: Vec<&str> = handlers
        .iter()
        .copied()
        .chain(BUILTIN_HANDLERS.iter().copied())
        .collect();
    for svc in runnable(model) {
        let exe = svc.executable.value.split_whitespace().next().unwrap_or("");
        if !known.contains(&exe) {
            let mut d = Diagnostic::error(
                codes::UNKNOWN_EXECUTABLE,
                format!(
                    "service `{}`: executable `{exe}` names no svcc handler",
                    svc.name
                ),
            );
            if let Some(s) = svc.executable.origin.span().or(svc.header) {
                d = d.label(s, format!("`{exe}` is not one of: {}", known.join(", ")));
            }
            d = d.help(format!(
                "set `executable` to one of {} (built-in or given in `handlers = {{ ... }}`), add a handler for `{exe}` to svcc::main!, or remove the service",
                known.join(", ")
            ));
            out.push(d);
        }
        for l in &svc.listeners {
            if l.kind == ListenerKind::Fifo && l.enabled() {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_EXECUTABLE,
                    format!(
                        "service `{}`: fifo_listener `{}` cannot be served by svcc's runtime",
                        svc.name, l.name
                    ),
                );
                if let Some(h) = l.header {
                    d = d.label(h, "fifo listeners are not supported");
                }
                out.push(d.help("use a unix_listener, or disable the fifo with `mode = 0`"));
            }
        }
    }
    out
}

/// FNV-1a over every file read: the config hash `--version` shows.
pub fn config_hash(map: &SourceMap) -> String {
    let mut h = svcc_facts::Fnv1a::default();
    for (_, f) in map.files() {
        h.write(f.name.as_bytes())
            .write(&[0])
            .write(f.text.as_bytes());
    }
    format!("{:016x}", h.finish())
}

/// A diagnostic as a `compile_error!` text: rustc prints `error: ` itself,
/// so the text starts with the code.
fn error_text(map: &SourceMap, d: &Diagnostic) -> String {
    let plain = render_plain(map, d);
    match plain.strip_prefix(&format!("error[{}]: ", d.code)) {
        Some(rest) => format!("{}: {rest}", d.code),
        None => plain,
    }
}

/// The config given to `svcc::main!` cannot be read at all: one error and a
/// skeleton `main`, rendered like every other diagnostic. `base` is the
/// directory the path was resolved against.
pub fn load_failure(config: &str, error: &dyn std::fmt::Display, base: &str) -> TokenStream {
    let d = Diagnostic::error(
        codes::INCLUDE_NOT_FOUND,
        format!("cannot read config `{config}`: {error}"),
    )
    .help(format!(
        "the path is relative to the crate's Cargo.toml ({base})"
    ));
    let text = error_text(&SourceMap::default(), &d);
    quote! {
        compile_error!(#text);
        fn main() {}
    }
}

/// Generates `fn main` (or, after errors, one `compile_error!` per error and
/// a skeleton `main`).
pub fn generate(input: &Input<'_>) -> TokenStream {
    let checked = input.checked;
    let map = &checked.doc.sources;
    let krate = &input.krate;
    // `checked` was made with `Options::for_build`: the build-only findings
    // are there, suppressions applied.
    let diags = &checked.diagnostics;

    // Rebuild when any file read changes.
    let tracked: Vec<TokenStream> = map
        .files()
        .filter_map(|(_, f)| f.path.as_ref())
        .map(|p| {
            let p = p.to_string_lossy().into_owned();
            quote! { const _: &[u8] = include_bytes!(#p); }
        })
        .collect();

    let errors: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        let errs = errors.iter().map(|d| {
            let text = error_text(map, d);
            quote! { compile_error!(#text); }
        });
        return quote! {
            #(#errs)*
            fn main() {
                #(#tracked)*
            }
        };
    }

    let warnings: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .collect();
    let warn_items = warnings.iter().enumerate().map(|(i, d)| {
        let note = render_plain(map, d);
        let ident = format_ident!("SvccConfigWarning{}", i);
        quote! {
            #[deprecated(note = #note)]
            struct #ident;
            #[allow(clippy::let_unit_value)]
            let _ = #ident;
        }
    });
    let warn_lines: Vec<String> = warnings.iter().map(|d| render_short(map, d)).collect();

    let g = &checked.model.globals;
    let mut asserts = Vec::new();
    let services: Vec<TokenStream> = runnable(&checked.model)
        .map(|svc| {
            let exe = svc.executable.value.split_whitespace().next().unwrap_or("");
            let handler = match input.handlers.iter().find(|h| h.name == exe) {
                Some(h) => {
                    let ty = &h.ty;
                    let cl = svc.configured_client_limit(g).value;
                    // Whether the handler blocks is known only when rustc
                    // compiles the generated code: assert the rule there.
                    if !svcc_facts::client_limit_fits(true, cl) {
                        // Only an event handler may serve this service: a
                        // bound whose failure reads as svcc's diagnostic
                        // (code first, the config's location), on the type
                        // the user named.
                        let why = format!("its handler `{exe}` blocks");
                        let d = crate::check::blocking_client_limit(svc, &checked.model, &why);
                        let msg = error_text(map, &d).replace('{', "{{").replace('}', "}}");
                        asserts.push(quote! {
                            const _: () = {
                                #[diagnostic::on_unimplemented(
                                    message = #msg,
                                    label = "a blocking handler serves one client per process",
                                    note = "svcc runs a handler implementing `BlockingHandler` one client per process; implement `EventHandler` instead to serve many"
                                )]
                                trait SvccEventHandlerRequired {}
                                #[diagnostic::do_not_recommend]
                                impl<T: #krate::runtime::handler::EventHandler> SvccEventHandlerRequired for T {}
                                fn required<T: SvccEventHandlerRequired>() {}
                                let _ = required::<#ty>;
                            };
                        });
                    }
                    if svc.settings.header.is_some() {
                        asserts.push(settings_asserts(map, svc, ty, krate));
                    }
                    quote! { #krate::runtime::spec::__private::spec::<#ty, _>(#exe) }
                }
                None => {
                    let ty = match exe {
                        "echo" => quote!(Echo),
                        "discard" => quote!(Discard),
                        "banner" => quote!(Banner),
                        "peer" => quote!(Peer),
                        "http" => quote!(Http),
                        "metrics" => quote!(Metrics),
                        // diagnostics() made any other name an error.
                        other => {
                            let msg = format!("svcc: no built-in handler `{other}`");
                            quote!(compile_error!(#msg))
                        }
                    };
                    // The built-ins with settings are built from them.
                    let make = if svcc_facts::builtin_handler_settings(exe).is_empty() {
                        quote!(event)
                    } else {
                        quote!(event_configured)
                    };
                    quote! { #krate::runtime::spec::HandlerSpec::#make::<#krate::runtime::handlers::#ty>(#exe) }
                }
            };
            let settings = settings_tokens(map, svc, krate);
            service_tokens(svc, &checked.model, krate, handler, settings)
        })
        .collect();
    let n = services.len();
    let base_dir = &g.base_dir.value;
    // Only when the config names one: Dovecot's default user (`dovecot`)
    // may not exist where the binary runs; the runtime then uses `nobody`.
    let internal_user = opt(g
        .all
        .get("default_internal_user")
        .map(|v| v.value.as_str())
        .unwrap_or(""));
    let config_text = crate::model::print::render(&checked.model, map);
    let hash = config_hash(map);
    let version = env!("CARGO_PKG_VERSION");
    let tls = tls_tokens(&checked.model.tls, krate);
    let trusted = g
        .haproxy_trusted_networks
        .value
        .iter()
        .map(|n| net_tokens(n, krate));
    quote! {
        fn main() -> ::std::process::ExitCode {
            #(#tracked)*
            #(#warn_items)*
            #(#asserts)*
            static SERVICES: [#krate::runtime::spec::ServiceSpec; #n] = [#(#services),*];
            static APP: #krate::runtime::spec::AppSpec = #krate::runtime::spec::AppSpec {
                services: &SERVICES,
                base_dir: #base_dir,
                internal_user: #internal_user,
                haproxy_trusted_networks: &[#(#trusted),*],
                config_text: #config_text,
                config_hash: #hash,
                svcc_version: #version,
                warnings: &[#(#warn_lines),*],
                tls: #tls,
            };
            #krate::runtime::main(&APP)
        }
    }
}

/// A network as a const `IpNet` (resolved here: the runtime parses no
/// config text).
fn net_tokens(n: &svcc_facts::IpNet, krate: &TokenStream) -> TokenStream {
    let bits = n.bits;
    let addr = match n.addr {
        std::net::IpAddr::V4(a) => {
            let [a, b, c, d] = a.octets();
            quote!(::std::net::IpAddr::V4(::std::net::Ipv4Addr::new(#a, #b, #c, #d)))
        }
        std::net::IpAddr::V6(a) => {
            let s = a.segments();
            quote!(::std::net::IpAddr::V6(::std::net::Ipv6Addr::new(#(#s),*)))
        }
    };
    quote!(#krate::runtime::spec::IpNet { addr: #addr, bits: #bits })
}

/// The TLS settings as a `TlsSpec`: paths (never file contents), rustls
/// names for the cipher, suite and group lists.
fn tls_tokens(t: &Tls, krate: &TokenStream) -> TokenStream {
    let mode = match t.ssl.value {
        SslMode::No => quote!(No),
        SslMode::Yes => quote!(Yes),
        SslMode::Required => quote!(Required),
    };
    let path = |f: &Option<tls::FileRef>| {
        f.as_ref()
            .filter(|f| f.is_file)
            .map(|f| f.abs.clone())
            .unwrap_or_default()
    };
    let cert = path(&t.global.cert);
    let key = path(&t.global.key);
    let ca = opt(&path(&t.ca));
    let verify = t.verify_client_cert.value;
    let min = match tls::min_protocol(&t.min_protocol.value) {
        Ok(tls::MinProtocol::Tls13) => quote!(Tls13),
        _ => quote!(Tls12),
    };
    let tls13 = tls::map_cipher_suites(&t.cipher_suites.value).names;
    let tls12 = tls::map_cipher_list(&t.cipher_list.value).names;
    let groups = tls::map_curve_list(&t.curve_list.value).names;
    let prefer = t.prefer_server_ciphers.value;
    let no_ticket = t.options.value.split([' ', ',']).any(|o| o == "no_ticket");
    let filters = |list: &[tls::FilterCert]| -> Vec<TokenStream> {
        list.iter()
            .map(|f| {
                let sel = &f.selector;
                let c = path(&f.pair.cert);
                let k = path(&f.pair.key);
                let c = if c.is_empty() { cert.clone() } else { c };
                let k = if k.is_empty() { key.clone() } else { k };
                quote! { #krate::runtime::spec::TlsCert { selector: &[#(#sel),*], cert: #c, key: #k } }
            })
            .collect()
    };
    let names = filters(&t.names);
    let locals = filters(&t.locals);
    let password = match &t.key_password {
        None => quote!(None),
        Some(tls::KeyPassword::Text(v)) => {
            let v = &v.value;
            quote!(Text(#v))
        }
        Some(tls::KeyPassword::File(f)) => {
            let p = &f.abs;
            quote!(File(#p))
        }
    };
    quote! {
        #krate::runtime::spec::TlsSpec {
            mode: #krate::runtime::spec::SslMode::#mode,
            cert: #cert,
            key: #key,
            ca: #ca,
            verify_client_cert: #verify,
            min_protocol: #krate::runtime::spec::TlsVersion::#min,
            tls12_suites: &[#(#tls12),*],
            tls13_suites: &[#(#tls13),*],
            groups: &[#(#groups),*],
            prefer_server_ciphers: #prefer,
            no_ticket: #no_ticket,
            names: &[#(#names),*],
            locals: &[#(#locals),*],
            key_password: #krate::runtime::spec::KeyPassword::#password,
        }
    }
}

fn opt(s: &str) -> TokenStream {
    if s.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(#s))
    }
}

/// Expands `$default_internal_user` and friends in user/group values.
fn expand_user(v: &str, model: &Model) -> String {
    match v.strip_prefix("$SET:").or_else(|| v.strip_prefix('$')) {
        Some(name) => model
            .globals
            .all
            .get(name)
            .map(|v| v.value.clone())
            // Never an empty user (which would run as the master's, root):
            // the runtime refuses an unknown one at start.
            .unwrap_or_else(|| {
                crate::model::catalogue::text_default(name)
                    .unwrap_or(v)
                    .to_string()
            }),
        None => v.to_string(),
    }
}

/// `FILE:LINE:COL` of a span, as the runtime's settings errors name it.
fn at(map: &SourceMap, span: crate::syntax::Span) -> String {
    let (lc, _) = map.range(span);
    format!("{}:{}:{}", map.get(span.file).name, lc.line, lc.column)
}

/// A service's `settings` section as a `SettingsSpec`.
fn settings_tokens(map: &SourceMap, svc: &Service, krate: &TokenStream) -> TokenStream {
    use crate::model::{SettingsEntry, SettingsValue};
    fn entries(map: &SourceMap, es: &[SettingsEntry], krate: &TokenStream) -> TokenStream {
        let items = es.iter().map(|e| {
            let key = &e.key;
            let at = at(map, e.key_span);
            let value = match &e.value {
                SettingsValue::Text(v, _) => {
                    quote!(#krate::runtime::settings::SettingValue::Text(#v))
                }
                SettingsValue::Section(sub) => {
                    let sub = entries(map, sub, krate);
                    quote!(#krate::runtime::settings::SettingValue::Section(#sub))
                }
            };
            quote!(#krate::runtime::settings::SettingEntry { key: #key, value: #value, at: #at })
        });
        quote!(&[#(#items),*])
    }
    match svc.settings.header {
        None => quote!(#krate::runtime::settings::SettingsSpec::NONE),
        Some(h) => {
            let list = entries(map, &svc.settings.entries, krate);
            let at = at(map, h);
            quote! {
                #krate::runtime::settings::SettingsSpec { entries: #list, at: #at, present: true }
            }
        }
    }
}

/// A handler of the user's named by a service with a `settings` section:
/// it must take settings (`WithSettings`), and when it lists its keys
/// (`WithSettings::FIELDS`) every key of the section must be one, both
/// failing as svcc's diagnostic at the config's location.
fn settings_asserts(
    map: &SourceMap,
    svc: &Service,
    ty: &TokenStream,
    krate: &TokenStream,
) -> TokenStream {
    let header = svc.settings.header.expect("a settings section");
    let d = Diagnostic::error(
        codes::HANDLER_SETTING,
        format!(
            "service `{}` has a `settings` section, but its handler takes no settings",
            svc.name
        ),
    )
    .label(header, "settings for a handler that has none")
    .help("implement `svcc::runtime::settings::WithSettings` for the handler (instead of `Default`), or remove the section");
    let msg = error_text(map, &d).replace('{', "{{").replace('}', "}}");
    let keys: Vec<&str> = svc
        .settings
        .entries
        .iter()
        .map(|e| e.key.as_str())
        .collect();
    let messages: Vec<String> = svc
        .settings
        .entries
        .iter()
        .map(|e| {
            let d = Diagnostic::error(
                codes::HANDLER_SETTING,
                format!(
                    "service `{}`: its handler has no setting `{}`",
                    svc.name, e.key
                ),
            )
            .label(e.key_span, "not one of the handler's WithSettings::FIELDS");
            error_text(map, &d)
        })
        .collect();
    quote! {
        const _: () = {
            #[diagnostic::on_unimplemented(
                message = #msg,
                label = "this handler takes no settings",
                note = "a handler implements `Default` (no settings) or `svcc::runtime::settings::WithSettings`"
            )]
            trait SvccWithSettingsRequired {
                const FIELDS: ::core::option::Option<&'static [&'static str]>;
            }
            #[diagnostic::do_not_recommend]
            impl<T: #krate::runtime::settings::WithSettings> SvccWithSettingsRequired for T {
                const FIELDS: ::core::option::Option<&'static [&'static str]> =
                    <T as #krate::runtime::settings::WithSettings>::FIELDS;
            }
            #krate::runtime::settings::check_keys(
                <#ty as SvccWithSettingsRequired>::FIELDS,
                &[#(#keys),*],
                &[#(#messages),*],
            );
        };
    }
}

fn service_tokens(
    svc: &Service,
    model: &Model,
    krate: &TokenStream,
    handler: TokenStream,
    settings: TokenStream,
) -> TokenStream {
    let g = &model.globals;
    let name = &svc.name;
    let listeners = svc.listeners.iter().filter(|l| l.is_bound(&model.tls)).filter_map(|l| match l.kind {
        ListenerKind::Inet => {
            let addrs = l.addresses(g);
            let lname = &l.name;
            let port = l.port.value;
            // `is_bound`: Dovecot's master skips `ssl = yes` listeners while
            // `ssl = no`; such a port is never served, least of all in plaintext.
            let ssl = l.ssl.value;
            let haproxy = l.haproxy.value;
            Some(quote! {
                #krate::runtime::spec::ListenerSpec::Inet { name: #lname, addresses: &[#(#addrs),*], port: #port, ssl: #ssl, haproxy: #haproxy }
            })
        }
        ListenerKind::Unix => {
            let path = &l.name;
            let mode = l.effective_mode();
            let user = opt(&expand_user(&l.user.value, model));
            let group = opt(&expand_user(&l.group.value, model));
            Some(quote! {
                #krate::runtime::spec::ListenerSpec::Unix { path: #path, mode: #mode, user: #user, group: #group }
            })
        }
        ListenerKind::Fifo => None,
    });
    let pl = svc.eff_process_limit(g).value;
    let cl = svc.eff_client_limit(g);
    let sc = svc.service_count.value;
    let min = svc.process_min_avail.value;
    let idle = match svc.eff_idle_kill(g) {
        Some(ms) => quote!(::core::option::Option::Some(::core::time::Duration::from_millis(#ms))),
        None => quote!(::core::option::Option::None),
    };
    let vsz = svc.eff_vsz_limit(g);
    let user = opt(&expand_user(&svc.user.value, model));
    let group = opt(&expand_user(&svc.group.value, model));
    let chroot = opt(&svc.chroot.value);
    let timeouts = {
        let t = &svc.timeouts;
        let ms = |v: &crate::model::Val<Option<u64>>| {
            v.value
                .map(|ms| quote!(::core::time::Duration::from_millis(#ms)))
        };
        let mut fields = Vec::new();
        for (name, v) in [
            ("idle_client", &t.client_idle),
            ("first_request", &t.client_request),
            ("linger_read", &t.linger_read),
            ("linger_total", &t.linger),
        ] {
            if let Some(d) = ms(v) {
                let name = format_ident!("{}", name);
                fields.push(quote!(#name: #d,));
            }
        }
        if let Some(b) = t.linger_max_bytes.value {
            fields.push(quote!(linger_bytes: #b,));
        }
        quote! {
            #krate::runtime::spec::Timeouts {
                #(#fields)*
                ..#krate::runtime::spec::Timeouts::DEFAULT
            }
        }
    };
    quote! {
        #krate::runtime::spec::ServiceSpec {
            name: #name,
            listeners: &[#(#listeners),*],
            process_limit: #pl,
            client_limit: #cl,
            service_count: #sc,
            process_min_avail: #min,
            idle_kill: #idle,
            vsz_limit: #vsz,
            user: #user,
            group: #group,
            chroot: #chroot,
            handler: #handler,
            timeouts: #timeouts,
            settings: #settings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gen(conf: &str, handlers: &[Handler]) -> String {
        let opts = crate::Options {
            for_build: true,
            handlers: handlers.iter().map(|h| (h.name.clone(), false)).collect(),
            ..Default::default()
        };
        let checked = crate::check_str("<test>", conf, &opts);
        generate(&Input {
            checked: &checked,
            handlers,
            krate: quote!(::svcc),
        })
        .to_string()
    }

    #[test]
    fn services_become_statics_with_resolved_values() {
        let out = gen(
            "service echo {\n  executable = echo\n  service_count = 1\n  client_limit = 1\n  inet_listener echo {\n    address = 127.0.0.1\n    port = 7000\n  }\n}\n",
            &[],
        );
        assert!(out.contains("name : \"echo\""), "{out}");
        assert!(out.contains("process_limit : 100u32"), "{out}");
        assert!(out.contains("client_limit : 1u32"), "{out}");
        assert!(
            out.contains("HandlerSpec :: event :: < :: svcc :: runtime :: handlers :: Echo >"),
            "{out}"
        );
        assert!(out.contains("port : 7000u16"), "{out}");
        assert!(out.contains("from_millis (60000u64)"), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn errors_become_compile_errors_and_a_skeleton_main() {
        let out = gen(
            "service x {\n  executable = nope\n  process_limit = -1\n}\n",
            &[],
        );
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        assert!(out.contains("svcc::invalid-value"), "{out}");
        assert!(out.contains("svcc::unknown-executable"), "{out}");
        assert!(out.contains("<test>:3:19"), "{out}");
        assert!(out.contains("fn main () { }"), "{out}");
        assert!(!out.contains("ServiceSpec"), "{out}");
    }

    #[test]
    fn user_handlers_are_probed_and_checked_for_blocking() {
        let h = [Handler {
            name: "kv".into(),
            ty: quote!(crate::Kv),
        }];
        let out = gen(
            "service kv {\n  executable = kv\n  client_limit = 5\n}\n",
            &h,
        );
        assert!(out.contains("spec :: < crate :: Kv , _ >"), "{out}");
        assert!(out.contains("SvccEventHandlerRequired"), "{out}");
        assert!(out.contains("svcc::blocking-client-limit"), "{out}");
    }

    #[test]
    fn a_config_with_nothing_to_run_is_an_error() {
        let out = gen(
            "protocols = imap\nservice pop3 {\n  executable = echo\n}\n",
            &[],
        );
        assert!(out.contains("svcc::no-services"), "{out}");
        assert!(out.contains("pop3"), "{out}");
    }

    #[test]
    fn warnings_are_deprecations() {
        let out = gen("protocols = imap\nservice imap-login {\n  executable = banner\n  service_count = 1\n  client_limit = 9\n}\n", &[]);
        assert!(out.contains("deprecated"), "{out}");
        assert!(out.contains("svcc::client-limit-capped"), "{out}");
    }

    #[test]
    fn tls_is_paths_and_choices_and_ssl_no_skips_tls_listeners() {
        let conf = "ssl_cert = </etc/ssl/a.pem\nssl_key = </etc/ssl/a.key\nssl_min_protocol = TLSv1.3\nssl_curve_list = X25519:prime256v1\nlocal_name mail.example.com {\n  ssl_cert = </etc/ssl/m.pem\n  ssl_key = </etc/ssl/m.key\n}\nservice web {\n  executable = http\n  inet_listener https {\n    port = 8443\n    ssl = yes\n  }\n  inet_listener http {\n    port = 8080\n  }\n}\n";
        let out = gen(conf, &[]);
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("cert : \"/etc/ssl/a.pem\""), "{out}");
        assert!(out.contains("TlsVersion :: Tls13"), "{out}");
        assert!(
            out.contains("groups : & [\"X25519\" , \"secp256r1\"]"),
            "{out}"
        );
        assert!(out.contains("selector : & [\"mail.example.com\"]"), "{out}");
        assert!(out.contains("port : 8443u16 , ssl : true"), "{out}");
        // No certificate contents, ever.
        assert!(!out.contains("BEGIN"), "{out}");
        let off = gen(&format!("ssl = no\n{conf}"), &[]);
        assert!(!off.contains("port : 8443u16"), "{off}");
        assert!(off.contains("port : 8080u16 , ssl : false"), "{off}");
        assert!(off.contains("SslMode :: No"), "{off}");
    }

    #[test]
    fn haproxy_listeners_and_trusted_networks_are_resolved() {
        let conf = "haproxy_trusted_networks = 10.0.0.0/8, 192.0.2.7 2001:db8::/32\nservice web {\n  executable = peer\n  inet_listener web {\n    port = 8080\n    haproxy = yes\n  }\n  inet_listener direct {\n    port = 8081\n  }\n}\n";
        let out = gen(conf, &[]);
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("port : 8080u16 , ssl : false , haproxy : true"),
            "{out}"
        );
        assert!(
            out.contains("port : 8081u16 , ssl : false , haproxy : false"),
            "{out}"
        );
        assert!(
            out.contains("Ipv4Addr :: new (10u8 , 0u8 , 0u8 , 0u8)) , bits : 8u8"),
            "{out}"
        );
        assert!(
            out.contains("Ipv4Addr :: new (192u8 , 0u8 , 2u8 , 7u8)) , bits : 32u8"),
            "{out}"
        );
        assert!(
            out.contains("Ipv6Addr :: new (8193u16 , 3512u16 , 0u16 , 0u16 , 0u16 , 0u16 , 0u16 , 0u16)) , bits : 32u8"),
            "{out}"
        );
    }
}
