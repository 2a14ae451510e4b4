//! An impostor on the lab LAN runs a server of its own and advertises the class server's name,
//! as issue 19 did it (2–5 of 10 students taken silently on the same port, 3–8 on another, and
//! goodbye packets that hid the real server). Here the students met the real server before (its
//! key is pinned in their own `XDG_CONFIG_HOME`) or were given its fingerprint with
//! `--server-key`: none is connected to the impostor, each either reaches the real server or is
//! refused with a warning that says what to do, and the real server stays reachable with
//! `client HOST PORT --server-key`. Each test builds its own LAN of network namespaces
//! (tests::netns) and skips, saying why, where it cannot.

use common::identity::{Identity, Pins, PublicKey};
use std::thread;
use std::time::{Duration, Instant};
use tests::netns::{Advertiser, Host, Lan, Record};
use tests::{Client, ConfigHome, Server, WAIT};

/// A browse (3 s), the connection, the proof and the welcome, on a loaded machine.
const SETTLED: Duration = Duration::from_secs(40);

/// How many students each attack meets.
const STUDENTS: usize = 10;

/// The class server's advertised name.
const CLASS: &str = "Lab 3";

/// `client <args>` on `host`, with `home` as its `XDG_CONFIG_HOME` (the student's own pins).
fn student(host: &Host, home: &ConfigHome, args: &[String]) -> Client {
    let config = format!("XDG_CONFIG_HOME={}", home.path().display());
    let wrapper = ["env", &config, "ip", "netns", "exec", &host.ns];
    Client::spawn_under(&wrapper, args)
}

/// The key a test server proves: the one in its own identity file.
fn key_of(server: &Server) -> PublicKey {
    let path = server.home().labchat().join("server-identity");
    Identity::load_or_create(&path)
        .expect("the server's identity file")
        .0
        .public()
}

/// A student who met `key` as the class server before: it is pinned in their home.
fn met_before(key: PublicKey) -> ConfigHome {
    let home = ConfigHome::new();
    Pins::load(&home.labchat().join("servers"))
        .and_then(|mut pins| pins.set(CLASS, key))
        .expect("a pins file");
    home
}

/// How one student's attempt ended.
#[derive(Debug)]
enum Ended {
    /// Registered (the server said hello).
    Joined,
    /// Exited 1 with this warning.
    Refused(String),
}

/// Waits for `client` (registering as `name`) to be welcomed or to give up.
fn ended(client: &mut Client, name: &str) -> Ended {
    let hello = format!("(server): Hello {name}!");
    let deadline = Instant::now() + SETTLED;
    while Instant::now() < deadline {
        if client.stdout.lines().iter().any(|l| l.starts_with(&hello)) {
            return Ended::Joined;
        }
        if client.stdout.ended() && client.stderr.ended() {
            let code = client.expect_exit(WAIT);
            assert_eq!(code, 1, "{name} ended without a welcome\n{}", client.dump());
            return Ended::Refused(said(client));
        }
        thread::sleep(Duration::from_millis(100));
    }
    panic!("{name} neither joined nor gave up\n{}", client.dump());
}

/// Whether `log` holds (or gets within [`WAIT`]) a line containing `text`, wherever it is.
fn logged(log: &tests::Transcript, text: &str) -> bool {
    let deadline = Instant::now() + WAIT;
    loop {
        if log.lines().iter().any(|l| l.contains(text)) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

/// Everything a client printed: its last words go to stdout as `(client): ...` notes, or to
/// stderr before it ever connected.
fn said(client: &Client) -> String {
    client.stdout.wait_end(WAIT);
    client.stderr.wait_end(WAIT);
    let mut lines = client.stdout.lines();
    lines.extend(client.stderr.lines());
    lines.join("\n")
}

/// The class server on `host`, port 5000, advertised as [`CLASS`], up and advertised.
fn class_server(host: &Host) -> Server {
    let server = Server::builder()
        .on(host)
        .default_port()
        .advertising()
        .args(&["--name", CLASS])
        .start();
    server
        .log
        .wait_for(WAIT, |l| l.contains("advertising on the LAN as"))
        .unwrap_or_else(|| panic!("no advertisement logged: {:#?}", server.log.lines()));
    server
}

/// Runs ten students (the first half met the real server before, the second half were given
/// its fingerprint) on hosts 2.. of `lan`, all at once, and checks that none reached the
/// impostor and that every one either joined the real server or was refused with what to do.
/// Returns how many joined the real server.
fn ten_students(lan: &Lan, real: &Server, impostor: &Server) -> usize {
    let key = key_of(real);
    let mut students: Vec<(String, Client, ConfigHome)> = (0..STUDENTS)
        .map(|n| {
            let name = format!("s{n}");
            let mut args = vec!["--name".to_string(), name.clone()];
            let home = if n < STUDENTS / 2 {
                met_before(key)
            } else {
                args.extend(["--server-key".to_string(), real.fingerprint()]);
                ConfigHome::new()
            };
            let client = student(&lan.hosts[2 + n], &home, &args);
            (name, client, home)
        })
        .collect();
    let mut joined = 0;
    for (name, client, _) in &mut students {
        match ended(client, name) {
            Ended::Joined => {
                let at_real = format!("{name} joined from");
                assert!(
                    logged(&real.log, &at_real),
                    "{name} was welcomed, but not by the real server\n{}\nimpostor: {:#?}\nreal: {:#?}",
                    client.dump(),
                    impostor.log.lines(),
                    real.log.lines()
                );
                // A student who met the server before hears nothing about its key.
                assert!(
                    !client
                        .stdout
                        .lines()
                        .iter()
                        .any(|l| l.contains("first time you meet")),
                    "{}",
                    client.dump()
                );
                joined += 1;
            }
            Ended::Refused(said) => {
                assert!(said.contains("WARNING"), "{name}: {said}");
                assert!(
                    said.contains("client HOST PORT --server-key"),
                    "{name}: {said}"
                );
            }
        }
    }
    let taken: Vec<String> = impostor
        .log
        .lines()
        .into_iter()
        .filter(|l| l.contains(" joined from"))
        .collect();
    assert!(taken.is_empty(), "the impostor took students: {taken:#?}");
    joined
}

/// After an attack, the real server is reachable by address with its fingerprint.
fn still_reachable(lan: &Lan, real: &Server) {
    let late = student(
        &lan.hosts[2],
        &ConfigHome::new(),
        &[
            lan.hosts[0].ip.to_string(),
            real.port().to_string(),
            "--server-key".into(),
            real.fingerprint().to_uppercase().replace('-', ":"),
            "--name".into(),
            "late".into(),
        ],
    );
    late.expect("(server): Hello late!");
    assert!(late
        .stdout
        .lines()
        .iter()
        .any(|l| l.contains("proved the key you gave")));
}

/// The impostor's records, advertised from `host`; `None` after saying why the test skips.
fn rogue(host: &Host, test: &str, records: &[Record]) -> Option<Advertiser> {
    match host.advertise_records(records) {
        Ok(advertiser) => Some(advertiser),
        Err(reason) => {
            eprintln!("SKIPPED {test}: {reason}");
            None
        }
    }
}

/// The impostor's own server, on `port` of host 1, not advertised by itself.
fn impostor_server(lan: &Lan, port: u16) -> Server {
    Server::builder().on(&lan.hosts[1]).port(port).start()
}

/// Same name, same port (5000), its own key in its record: every student who met the real
/// server, or was given its key, sees the record's key is not the one expected.
#[test]
fn an_impostor_under_the_class_name_on_the_same_port_takes_no_student() {
    let test = "an_impostor_under_the_class_name_on_the_same_port_takes_no_student";
    let Some(lan) = Lan::for_test(test, 2 + STUDENTS) else {
        return;
    };
    let real = class_server(&lan.hosts[0]);
    let impostor = impostor_server(&lan, 5000);
    let record = Record::new(CLASS, 5000, "ffdhe2048").with_key(&impostor.fingerprint());
    let Some(_rogue) = rogue(&lan.hosts[1], test, &[record]) else {
        return;
    };
    let joined = ten_students(&lan, &real, &impostor);
    eprintln!(
        "same name, same port: {joined} of {STUDENTS} reached the real server, none the impostor"
    );
    still_reachable(&lan, &real);
}

/// Same name on another port, with the real server's fingerprint copied into its record: the
/// record looks right, but the impostor cannot prove the key.
#[test]
fn an_impostor_on_another_port_with_a_copied_fingerprint_takes_no_student() {
    let test = "an_impostor_on_another_port_with_a_copied_fingerprint_takes_no_student";
    let Some(lan) = Lan::for_test(test, 2 + STUDENTS) else {
        return;
    };
    let real = class_server(&lan.hosts[0]);
    let impostor = impostor_server(&lan, 6000);
    let record = Record::new(CLASS, 6000, "ffdhe2048").with_key(&real.fingerprint());
    let Some(_rogue) = rogue(&lan.hosts[1], test, &[record]) else {
        return;
    };
    let joined = ten_students(&lan, &real, &impostor);
    eprintln!("same name, another port, copied fingerprint: {joined} of {STUDENTS} reached the real server, none the impostor");
    still_reachable(&lan, &real);
}

/// Goodbye packets for the real record, again and again, and a rival name that looks the same
/// (`Lab 3 (2)`, as if the real server had been renamed) with the impostor's key: a student
/// who met the real server is not fooled by the rename. (The impostor announces the real
/// server's current name and withdraws it at once: the goodbye makes listeners drop the name;
/// the real server, seeing its name claimed, renames itself, and the impostor follows.)
#[test]
fn goodbyes_for_the_real_record_and_a_rival_name_take_no_student() {
    let test = "goodbyes_for_the_real_record_and_a_rival_name_take_no_student";
    let Some(lan) = Lan::for_test(test, 2 + STUDENTS) else {
        return;
    };
    let real = class_server(&lan.hosts[0]);
    let impostor = impostor_server(&lan, 6000);
    let rival = Record::new("Lab 3 (2)", 6000, "ffdhe2048").with_key(&impostor.fingerprint());
    let Some(rogue) = rogue(&lan.hosts[1], test, &[rival]) else {
        return;
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let goodbyes = {
        let stop = std::sync::Arc::clone(&stop);
        let log = real.log.clone();
        thread::spawn(move || {
            let mut sent = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                // The name the real server goes by now (its log says when it renames).
                let current = log
                    .lines()
                    .iter()
                    .rev()
                    .find_map(|l| {
                        let (_, renamed) = l.split_once("; advertising as \"")?;
                        renamed.split_once('"').map(|(name, _)| name.to_string())
                    })
                    .unwrap_or_else(|| CLASS.to_string());
                let fake = Record::new(&current, 5000, "ffdhe2048");
                if rogue.add(&fake).is_ok() && rogue.withdraw(&current).is_ok() {
                    sent += 1;
                }
                thread::sleep(Duration::from_millis(200));
            }
            sent
        })
    };
    let joined = ten_students(&lan, &real, &impostor);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = goodbyes.join().expect("the goodbye thread");
    assert!(sent > 0, "no goodbye was sent");
    eprintln!("goodbyes ({sent}) and a rival name: {joined} of {STUDENTS} reached the real server, none the impostor");
    still_reachable(&lan, &real);
}

/// What the goodbyes aim at, made certain: the real server is not heard at all (it does not
/// advertise), only the impostor's rival record with its own key. Every student who met the
/// real server, or was given its key, is refused with what to do; a newcomer with neither has
/// nothing to compare with, and is shown the fingerprint of the server it met (the impostor's)
/// with the advice to confirm it: not silently taken.
#[test]
fn only_a_rival_record_heard_refuses_every_student_who_knows_the_server() {
    let test = "only_a_rival_record_heard_refuses_every_student_who_knows_the_server";
    let Some(lan) = Lan::for_test(test, 3 + STUDENTS) else {
        return;
    };
    let real = Server::builder().on(&lan.hosts[0]).default_port().start();
    let impostor = impostor_server(&lan, 6000);
    let rival = Record::new("Lab 3 (2)", 6000, "ffdhe2048").with_key(&impostor.fingerprint());
    let Some(_rogue) = rogue(&lan.hosts[1], test, &[rival]) else {
        return;
    };
    let joined = ten_students(&lan, &real, &impostor);
    assert_eq!(
        joined, 0,
        "the real server is not advertised: nobody can reach it by name"
    );

    let newcomer = student(
        &lan.hosts[2 + STUDENTS],
        &ConfigHome::new(),
        &["--name".into(), "new".into()],
    );
    newcomer.expect(&format!(
        "This is the first time you meet this server; its key fingerprint is {}.",
        impostor.fingerprint()
    ));
    newcomer.expect("Your teacher can confirm it");
    eprintln!("only a rival record: 0 of {STUDENTS} who knew the server taken, all refused; a newcomer is shown the impostor's fingerprint");
    still_reachable(&lan, &real);
}

/// `client HOST PORT` (no discovery): the key is pinned under the address as typed. The first
/// meeting shows the fingerprint once (the one the server printed), the next is silent; a
/// server proving another key at that address (a reinstall, or an impostor) is refused before
/// the name is sent, with how to forget the old key; after `--forget-server` it is met anew.
#[test]
fn the_first_meeting_shows_the_key_and_a_changed_key_is_refused() {
    let home = ConfigHome::new();
    let server = Server::start();
    let port = server.port();
    let address = format!("127.0.0.1:{port}");
    let args = |name: &str| -> Vec<String> { vec![address.clone(), "--name".into(), name.into()] };
    let first = Client::spawn_in(&home, &args("ann"));
    first.expect(&format!(
        "This is the first time you meet this server; its key fingerprint is {}.",
        server.fingerprint()
    ));
    first.expect("(server): Hello ann!");
    drop(first);

    let again = Client::spawn_in(&home, &args("bea"));
    again.expect("(server): Hello bea!");
    assert!(
        !again
            .stdout
            .lines()
            .iter()
            .any(|l| l.contains("first time")),
        "{}",
        again.dump()
    );
    let old = server.fingerprint();
    drop(again);
    drop(server);

    // Another server (another key) on the same address.
    let other = Server::builder().port(port).start();
    assert_ne!(other.fingerprint(), old);
    let mut refused = Client::spawn_in(&home, &args("cid"));
    assert_eq!(refused.expect_exit(SETTLED), 1, "{}", refused.dump());
    let said = said(&refused);
    assert!(said.contains("WARNING"), "{said}");
    assert!(said.contains(&old), "{said}");
    assert!(said.contains(&other.fingerprint()), "{said}");
    assert!(
        said.contains(&format!("client --forget-server {address}")),
        "{said}"
    );
    assert!(
        !other.log.lines().iter().any(|l| l.contains("cid joined")),
        "the name went to a server with another key: {:#?}",
        other.log.lines()
    );

    let mut forget = Client::spawn_in(&home, &["--forget-server".into(), address.clone()]);
    assert_eq!(forget.expect_exit(WAIT), 0, "{}", forget.dump());
    forget.expect("Forgot the key");
    let anew = Client::spawn_in(&home, &args("dan"));
    anew.expect(&format!(
        "This is the first time you meet this server; its key fingerprint is {}.",
        other.fingerprint()
    ));
    anew.expect("(server): Hello dan!");
}

/// `--server-key` makes the very first meeting safe: a server with another key is refused,
/// and nothing is pinned; the right key is accepted and said.
#[test]
fn a_given_server_key_refuses_any_other_key_at_first_contact() {
    let server = Server::start();
    let home = ConfigHome::new();
    let wrong = Identity::generate().public().fingerprint().to_string();
    let args = |name: &str, key: &str| -> Vec<String> {
        vec![
            "127.0.0.1".into(),
            server.port().to_string(),
            "--server-key".into(),
            key.into(),
            "--name".into(),
            name.into(),
        ]
    };
    let mut refused = Client::spawn_in(&home, &args("eve", &wrong));
    assert_eq!(refused.expect_exit(SETTLED), 1, "{}", refused.dump());
    let said = said(&refused);
    assert!(
        said.contains(&format!("not the key you gave with --server-key ({wrong})")),
        "{said}"
    );
    assert!(!server.log.lines().iter().any(|l| l.contains("eve joined")));
    assert!(
        !home.labchat().join("servers").exists() || {
            Pins::load(&home.labchat().join("servers"))
                .map(|pins| pins.iter().count() == 0)
                .unwrap_or(false)
        }
    );
    let right = Client::spawn_in(&home, &args("fay", &server.fingerprint()));
    right.expect("proved the key you gave");
    right.expect("(server): Hello fay!");
}

/// The check holds on every connection, reconnections too: the server alice met is killed,
/// and a server with another key comes up on its port; alice (`--reconnect`) reconnects, is
/// refused loudly, and exits 1 instead of chatting on with it.
#[test]
fn a_server_back_with_another_key_after_a_reconnect_is_refused() {
    let home = ConfigHome::new();
    let mut first = Server::start();
    let port = first.port();
    let mut alice = Client::spawn_in(
        &home,
        &[
            format!("127.0.0.1:{port}"),
            "--reconnect".into(),
            "--name".into(),
            "alice".into(),
        ],
    );
    alice.expect("(server): Hello alice!");
    let met = first.fingerprint();
    first.signal("KILL");
    assert!(first.wait_exit(WAIT).is_some(), "the server did not die");
    alice.expect("lost the connection to the server; trying to reconnect");
    let other = Server::builder().port(port).start();
    assert_eq!(alice.expect_exit(SETTLED), 1, "{}", alice.dump());
    let said = said(&alice);
    assert!(said.contains("WARNING"), "{said}");
    assert!(said.contains(&met), "{said}");
    assert!(said.contains(&other.fingerprint()), "{said}");
    assert!(
        !alice
            .stdout
            .lines()
            .iter()
            .skip_while(|l| !l.contains("connected again"))
            .any(|l| l.contains("Hello alice")),
        "the welcome of the other server was shown: {said}"
    );
}
