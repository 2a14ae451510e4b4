//! Finding a server with no address typed: the real `server` advertises itself over mDNS and
//! the real `client`, run with no HOST PORT on another host, finds it. Each test builds its own
//! small LAN of network namespaces (tests::netns), so the multicast stays inside it; where
//! namespaces cannot be made, the test prints why and skips.

use std::time::{Duration, Instant};
use tests::netns::Lan;
use tests::{Client, Server, WAIT};

/// A browse listens for at most 3 s, then the client connects and the server says hello.
const FOUND_AND_CONNECTED: Duration = Duration::from_secs(20);

/// `client` with no arguments, on another host, finds the only server on the LAN, says where
/// it is, connects, and asks for the name as the original did.
#[test]
fn client_with_no_address_finds_the_only_server_and_connects() {
    let Some(lan) = Lan::for_test(
        "client_with_no_address_finds_the_only_server_and_connects",
        2,
    ) else {
        return;
    };
    let (server_host, student) = (&lan.hosts[0], &lan.hosts[1]);
    let server = Server::builder()
        .on(server_host)
        .advertising()
        .args(&["--name", "Lab 3"])
        .start();
    server
        .log
        .wait_for(WAIT, |l| l.contains("advertising on the LAN as \"Lab 3\""))
        .unwrap_or_else(|| panic!("no advertisement logged: {:#?}", server.log.lines()));

    // No arguments at all: the person types the name when asked, as with the original.
    let mut alice = Client::spawn_under(&student.wrapper(), &[]);
    let found = format!(
        "Found \"Lab 3\" at {}:{}; connecting.",
        server_host.ip,
        server.port()
    );
    alice
        .stdout
        .wait_for(FOUND_AND_CONNECTED, |l| l == found)
        .unwrap_or_else(|| panic!("never showed {found:?}\n{}", alice.dump()));
    alice.expect("Please enter your user name:");
    alice.send("alice");
    alice.expect("(server): Hello alice!");
    let joined = format!("alice joined from {}:", student.ip);
    server
        .log
        .wait_for(WAIT, |l| l.contains(&joined))
        .unwrap_or_else(|| panic!("server never logged {joined:?}: {:#?}", server.log.lines()));
}

/// Two servers on the LAN are listed with their names and addresses; a number out of range is
/// explained, and the server picked is the one joined (the other never sees the person).
#[test]
fn several_servers_are_listed_and_the_person_picks_one() {
    let Some(lan) = Lan::for_test("several_servers_are_listed_and_the_person_picks_one", 3) else {
        return;
    };
    let lab_a = Server::builder()
        .on(&lan.hosts[0])
        .advertising()
        .args(&["--name", "Lab A"])
        .start();
    // Dots and backslashes are ordinary characters in a name, and arrive as typed.
    let lab_b = Server::builder()
        .on(&lan.hosts[1])
        .advertising()
        .args(&["--name", "Lab\\B.2"])
        .start();
    for server in [&lab_a, &lab_b] {
        server
            .log
            .wait_for(WAIT, |l| l.contains("advertising on the LAN"))
            .unwrap_or_else(|| panic!("no advertisement logged: {:#?}", server.log.lines()));
    }
    let mut bob = Client::spawn_under(&lan.hosts[2].wrapper(), &["--name".into(), "bob".into()]);
    bob.stdout
        .wait_for(FOUND_AND_CONNECTED, |l| {
            l == "Found 2 labchat servers on this network:"
        })
        .unwrap_or_else(|| panic!("no list of two servers\n{}", bob.dump()));
    bob.expect_line(&format!(
        "  1. \"Lab A\" at {}:{}",
        lan.hosts[0].ip,
        lab_a.port()
    ));
    bob.expect_line(&format!(
        "  2. \"Lab\\B.2\" at {}:{}",
        lan.hosts[1].ip,
        lab_b.port()
    ));
    // A wrong answer is explained, and nothing is connected until a right one.
    bob.send("7");
    bob.expect("there is no server 7; type a number from 1 to 2");
    bob.send("2");
    bob.expect("Connecting to \"Lab\\B.2\"");
    bob.expect("(server): Hello bob!");
    bob.send("status");
    bob.expect("(server): - bob: FREE (you)");
    // The server's log is read by a thread of the test: it may trail bob's screen.
    assert!(
        lab_b
            .log
            .wait_for(WAIT, |l| l.contains("bob joined from"))
            .is_some(),
        "Lab B never saw bob: {:#?}",
        lab_b.log.lines()
    );
    assert!(
        !lab_a.log.lines().iter().any(|l| l.contains("bob joined")),
        "Lab A saw bob: {:#?}",
        lab_a.log.lines()
    );
}

/// No server advertised on the LAN (the one there runs with `--no-advertise`): the client
/// listens its 3 s, exits 1 and says how to give the address instead.
#[test]
fn no_server_found_says_so_and_shows_the_address_form() {
    let Some(lan) = Lan::for_test("no_server_found_says_so_and_shows_the_address_form", 2) else {
        return;
    };
    // A server that does not advertise is not found: the person is told how to give it.
    let _hidden = Server::builder().on(&lan.hosts[0]).start();
    let started = Instant::now();
    let mut carol =
        Client::spawn_under(&lan.hosts[1].wrapper(), &["--name".into(), "carol".into()]);
    assert_eq!(
        carol.expect_exit(FOUND_AND_CONNECTED),
        1,
        "{}",
        carol.dump()
    );
    let waited = started.elapsed();
    let said = carol
        .stderr
        .wait_for(WAIT, |l| l.contains("no labchat server answered"))
        .unwrap_or_else(|| panic!("no explanation\n{}", carol.dump()));
    assert!(said.contains("client HOST [PORT]"), "{said}");
    assert!(waited >= Duration::from_secs(3), "gave up after {waited:?}");
}

/// `server` with no port and `client HOST` with no port meet on the same default port.
#[test]
fn server_and_client_agree_on_the_default_port() {
    let Some(lan) = Lan::for_test("server_and_client_agree_on_the_default_port", 2) else {
        return;
    };
    let server = Server::builder().on(&lan.hosts[0]).default_port().start();
    assert_eq!(server.port(), common::discovery::DEFAULT_PORT);
    let dave = Client::spawn_under(
        &lan.hosts[1].wrapper(),
        &[lan.hosts[0].ip.to_string(), "--name".into(), "dave".into()],
    );
    dave.expect("(server): Hello dave!");
}

/// Anyone can advertise any name. Here a student advertised the class's server name (at a
/// relay of their own) before the server started: the server finds its name taken, renames
/// itself `Lab 3 (2)` and logs it, and a client lists both claims with their addresses and a
/// warning, so the person picks by the address the teacher gave. A name full of escape codes
/// is not listed at all.
#[test]
fn a_name_taken_before_the_server_starts_is_shown_twice_with_a_warning() {
    let test = "a_name_taken_before_the_server_starts_is_shown_twice_with_a_warning";
    let Some(lan) = Lan::for_test(test, 3) else {
        return;
    };
    let (teacher, mallory) = (&lan.hosts[0], &lan.hosts[1]);
    let Some(_rogue) = mallory.advertise_for_test(
        test,
        &[
            ("Lab 3", 5999, "ffdhe2048"),
            ("free pizza\u{1b}[2J\u{7}", 6000, "toy"),
            // Looks the same: a Cyrillic а, and a zero-width space.
            ("L\u{430}b 3", 6001, "ffdhe2048"),
            ("Lab 3\u{200b}", 6002, "ffdhe2048"),
        ],
    ) else {
        return;
    };
    let server = Server::builder()
        .on(teacher)
        .advertising()
        .args(&["--name", "Lab 3"])
        .start();
    server
        .log
        .wait_for(WAIT, |l| {
            l.contains("the name \"Lab 3\" is already advertised on this network; advertising as \"Lab 3 (2)\"")
        })
        .unwrap_or_else(|| panic!("the server did not say its name was taken: {:#?}", server.log.lines()));

    let mut bob = Client::spawn_under(&lan.hosts[2].wrapper(), &["--name".into(), "bob".into()]);
    bob.stdout
        .wait_for(FOUND_AND_CONNECTED, |l| l.starts_with("Warning:"))
        .unwrap_or_else(|| panic!("bob was not warned\n{}", bob.dump()));
    let shown = bob.stdout.lines();
    assert!(
        shown
            .iter()
            .any(|l| l.starts_with("Warning: 4 servers claim the name \"Lab 3\"")),
        "{shown:#?}"
    );
    let real = format!("\"Lab 3 (2)\" at {}:{}", teacher.ip, server.port());
    let fake = format!("\"Lab 3\" at {}:5999", mallory.ip);
    let number_of = |entry: &str| {
        shown
            .iter()
            .find_map(|l| l.strip_suffix(entry)?.trim().strip_suffix('.'))
            .unwrap_or_else(|| panic!("{entry:?} not listed: {shown:#?}"))
            .to_string()
    };
    let real_number = number_of(&real);
    number_of(&fake);
    // No labchat server advertises a name with control characters, and such a name written
    // anywhere (the pins file) could start a line of its sender's choosing: not listed.
    assert!(
        !shown.iter().any(|l| l.contains("free pizza")),
        "a name with escape codes was listed: {shown:#?}"
    );
    assert!(
        shown
            .iter()
            .all(|l| !l.contains('\u{1b}') && !l.contains('\u{7}')),
        "a raw control character reached the screen: {shown:#?}"
    );
    bob.send(&real_number);
    bob.expect(&format!("Connecting to {real}"));
    bob.expect("(server): Hello bob!");
}

/// A student floods the LAN with advertisements, so that the real server might be lost among
/// them (or dropped from a bounded list): the client does not offer a list it cannot trust,
/// and says why.
#[test]
fn a_flood_of_advertisements_is_refused_plainly() {
    let test = "a_flood_of_advertisements_is_refused_plainly";
    let Some(lan) = Lan::for_test(test, 3) else {
        return;
    };
    let _real = Server::builder()
        .on(&lan.hosts[0])
        .advertising()
        .args(&["--name", "Lab 3"])
        .start();
    let names: Vec<String> = (0..80).map(|n| format!("Lab {n:02}")).collect();
    let services: Vec<(&str, u16, &str)> = names
        .iter()
        .map(|name| (name.as_str(), 6000, "ffdhe2048"))
        .collect();
    let Some(_flood) = lan.hosts[1].advertise_for_test(test, &services) else {
        return;
    };
    let mut carol =
        Client::spawn_under(&lan.hosts[2].wrapper(), &["--name".into(), "carol".into()]);
    assert_eq!(
        carol.expect_exit(FOUND_AND_CONNECTED),
        1,
        "{}",
        carol.dump()
    );
    let said = carol
        .stderr
        .wait_for(WAIT, |l| {
            l.contains("more than 50 labchat servers answered")
        })
        .unwrap_or_else(|| panic!("no explanation\n{}", carol.dump()));
    assert!(said.contains("client HOST [PORT]"), "{said}");
    assert!(
        !carol
            .stdout
            .lines()
            .iter()
            .any(|l| l.contains("Which one?")),
        "a list was offered: {}",
        carol.dump()
    );
}

/// A server that was advertised but does not answer (stopped, or a false record): the client
/// names it, says what it tried, and suggests what to do.
#[test]
fn an_advertised_server_that_does_not_answer_is_named() {
    let test = "an_advertised_server_that_does_not_answer_is_named";
    let Some(lan) = Lan::for_test(test, 2) else {
        return;
    };
    let Some(_gone) = lan.hosts[0].advertise_for_test(test, &[("Lab Gone", 5999, "ffdhe2048")])
    else {
        return;
    };
    let mut dave = Client::spawn_under(&lan.hosts[1].wrapper(), &["--name".into(), "dave".into()]);
    let at = format!("\"Lab Gone\" at {}:5999", lan.hosts[0].ip);
    dave.expect(&format!("Found {at}; connecting."));
    assert_eq!(dave.expect_exit(FOUND_AND_CONNECTED), 1, "{}", dave.dump());
    let said = dave
        .stderr
        .wait_for(WAIT, |l| l.contains("cannot reach"))
        .unwrap_or_else(|| panic!("no explanation\n{}", dave.dump()));
    assert!(
        said.contains(&format!("cannot reach {at} (its one address)")),
        "{said}"
    );
    assert!(said.contains("it may have stopped"), "{said}");
}
