//! A chat is one chat: key lines replayed from an earlier chat are refused, a chat that someone
//! restarts in the middle is said loudly on both screens, and a `GEN_KEYS` outside a chat, or
//! with a chat number spelled another way, is not answered. Against the real binaries, through
//! a relay that lies (or a fake server that is only a socket).

use parking_lot::Mutex;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use tests::agreement::agreement;
use tests::relay::{Direction, Relay};
use tests::{Client, Server, Transcript, WAIT};

/// What a relay replays into alice's second chat with bob.
#[derive(Debug, Clone, Copy)]
enum Replay {
    /// The first chat's `GEN_KEYS` number and bob's key lines from that chat.
    NumberAndLines,
    /// Only bob's key lines from the first chat, under the second chat's number.
    LinesOnly,
}

/// A relay records bob's `key_commit` and `key_param` as alice received them in her first chat
/// with bob, and plays them to her in the second (with the first chat's number, or with the
/// second's): she refuses them loudly, as a replay, and seals nothing.
fn replayed_lines_are_refused(replay: Replay) {
    let server = Server::start();
    // alice's GEN_KEYS lines so far, and bob's key lines of her first chat.
    let first_chat: Arc<Mutex<Vec<String>>> = Arc::default();
    let recorded: Arc<Mutex<Vec<String>>> = Arc::default();
    let relay = Relay::start(
        server.port(),
        Arc::new(move |conn, direction, line: &str| {
            if (conn, direction) != (0, Direction::ToClient) {
                return line.to_string();
            }
            let mut chats = first_chat.lock();
            if let Some(number) = line.strip_prefix("GEN_KEYS ffdhe2048 ") {
                chats.push(number.to_string());
                return match (replay, chats.first()) {
                    (Replay::NumberAndLines, Some(first)) => format!("GEN_KEYS ffdhe2048 {first}"),
                    _ => line.to_string(),
                };
            }
            let mut lines = recorded.lock();
            match chats.len() {
                1 if line.starts_with("key_commit ") || line.starts_with("key_param ") => {
                    lines.push(line.to_string());
                }
                // bob's commitment of the second chat: the first chat's commitment and value.
                2 if line.starts_with("key_commit ") => return lines.join("\n"),
                _ => {}
            }
            line.to_string()
        }),
    );
    let mut alice = Client::registered_at(relay.port(), "alice", &[]);
    let bob = Client::registered_at(relay.port(), "bob", &[]);
    alice.send("connect bob");
    let (a, b) = (agreement(&alice), agreement(&bob));
    assert!(a.is_ok() && a == b, "an honest first chat: {a:?} {b:?}");
    alice.send("goodbye");
    alice.expect("You ended the chat with bob");

    alice.send("connect bob");
    let failure = agreement(&alice).expect_err("replayed key lines must be refused");
    // Under a new number the old value cannot open the new chat's commitment. With identities
    // (both clients said hello) that commitment can only be opened once bob's proof names his
    // key, so what alice notices first is bob's real value, which she did not ask for.
    let why: &[&str] = match replay {
        Replay::NumberAndLines => &["already used"],
        Replay::LinesOnly => &["does not match the commitment", "did not ask for"],
    };
    assert!(
        failure.contains("WARNING: key agreement failed")
            && why.iter().any(|why| failure.contains(why)),
        "{failure}\n{}",
        alice.dump()
    );
    assert!(
        !alice
            .stdout
            .lines()
            .iter()
            .skip_while(|l| !l.contains("You ended"))
            .any(|l| l.contains("secure messages to bob are ready")),
        "{}",
        alice.dump()
    );
    alice.send("secure: meet me at the north gate");
    alice.expect("nothing was sent");
    alice.send("verify");
    alice.expect("key agreement failed");
    let wire = relay.wire();
    assert!(
        !wire.lines().any(|l| l.starts_with("secure:")),
        "a sealed line left alice: {wire}"
    );
}

/// `GEN_KEYS` with the number of alice's earlier chat, then that chat's key lines: refused as a
/// chat number this connection already used.
#[test]
fn replayed_chat_number_and_key_lines_are_refused() {
    replayed_lines_are_refused(Replay::NumberAndLines);
}

/// An earlier chat's key lines under the new chat's number: its commitment hashes the old
/// number, so the value does not open it.
#[test]
fn replayed_key_lines_under_a_new_number_are_refused() {
    replayed_lines_are_refused(Replay::LinesOnly);
}

/// A relay restarts a chat whose code was compared: it sends each client `(server): You are now
/// connected to <partner>` and a fresh `GEN_KEYS` (bob when alice says `rekey`, alice just
/// before bob's first key line of the new exchange reaches her), and carries the new exchange's
/// key lines between them as chat text. Both screens say loudly that the code compared earlier
/// no longer vouches for this chat.
#[test]
fn a_chat_restarted_in_the_middle_is_said_loudly() {
    let server = Server::start();
    let restarted: Arc<Mutex<[bool; 2]>> = Arc::default();
    // The restart asks for identities as the server did (both clients said hello), so that
    // the new exchange runs in full and only the restart itself is to be noticed.
    let restart = |partner: &str| {
        format!("(server): You are now connected to {partner}\nGEN_KEYS ffdhe2048 99 identity")
    };
    let relay = Relay::start(
        server.port(),
        Arc::new(move |conn, direction, line: &str| match direction {
            Direction::ToClient => {
                let mut restarted = restarted.lock();
                if let Some(partner) = line.strip_suffix(": rekey") {
                    restarted[conn] = true;
                    return format!("{line}\n{}", restart(partner));
                }
                // The new exchange's key lines, carried as chat text (below), back as key lines.
                match line.split_once(": relayed ") {
                    Some((partner, key_line)) if !restarted[conn] => {
                        restarted[conn] = true;
                        format!("{}\n{key_line}", restart(partner))
                    }
                    Some((_, key_line)) => key_line.to_string(),
                    None => line.to_string(),
                }
            }
            Direction::ToServer
                if ["key_commit 99 ", "key_param 99 ", "key_proof 99 "]
                    .iter()
                    .any(|word| line.starts_with(word)) =>
            {
                let (word, rest) = line.split_once(" 99 ").expect("a key line");
                format!("msg relayed {word} {rest}")
            }
            Direction::ToServer => line.to_string(),
        }),
    );
    let mut alice = Client::registered_at(relay.port(), "alice", &[]);
    let bob = Client::registered_at(relay.port(), "bob", &[]);
    alice.send("connect bob");
    let (a, b) = (agreement(&alice), agreement(&bob));
    assert!(a.is_ok() && a == b, "an honest first exchange: {a:?} {b:?}");
    alice.send("secure: before");
    bob.expect_line("alice (secure): before");

    alice.send("rekey");
    for (who, partner) in [(&alice, "bob"), (&bob, "alice")] {
        let line = who.expect("no longer vouches");
        assert!(
            line.contains("WARNING: the server started a new chat")
                && line.contains(&format!(
                    "new chat with {partner} while your chat with {partner}"
                )),
            "{line}\n{}",
            who.dump()
        );
        // The new chat's code is new, and said as such.
        let code = agreement(who).expect("the relay carried the new exchange honestly");
        assert_ne!(Ok(code), a, "{}", who.dump());
    }
}

/// A fake server that is only a socket: it greets one client started here, takes its name, and
/// hands back the socket to script and what the client sends after its name.
fn client_of_a_fake_server(name: &str) -> (Client, TcpStream, Transcript) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("bound").port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("the client connects");
        stream
            .write_all(b"(server): Welcome to labchat! Please enter your user name:\n")
            .expect("greet");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let name = tests::fake_server::read_name(&mut reader, &mut stream);
        assert!(!name.is_empty(), "the client sends a name");
        writeln!(
            stream,
            "(server): Hello {}! Type status to see who is here, connect <user> to chat, help for more.",
            name.trim()
        )
        .expect("welcome");
        (stream, Transcript::capture(reader))
    });
    let client = Client::registered_at(port, name, &[]);
    let (stream, sent) = server.join().expect("the fake server ran");
    (client, stream, sent)
}

/// A `GEN_KEYS` before any `You are now connected` (no chat, so nothing to tie a key to) is
/// not answered; a chat number with a leading zero, or 2^64 and above, is refused as
/// PROTOCOL.md says: not answered, and `secure:` is off for that chat, with the reason.
#[test]
fn gen_keys_outside_a_chat_or_with_a_misspelled_number_is_not_answered() {
    let (mut alice, mut fake, sent) = client_of_a_fake_server("alice");
    let mut say = |line: &str| writeln!(fake, "{line}").expect("the client reads");
    say("GEN_KEYS ffdhe2048 1");
    alice.expect("outside a chat");
    for (number, chat) in [("07", 2), ("18446744073709551616", 3)] {
        say(&format!("(server): You are now connected to bob{chat}"));
        say(&format!("GEN_KEYS ffdhe2048 {number}"));
        let line = alice.expect("key agreement failed");
        assert!(line.contains(&format!("'{number}'")), "{line}");
        alice.send("secure: hello");
        alice.expect("nothing was sent");
        say(&format!("(server): bob{chat} ended the chat"));
        alice.expect(&format!("bob{chat} ended the chat"));
    }
    // A well-formed GEN_KEYS in a chat is answered, with the number it came with.
    say("(server): You are now connected to bob");
    say("GEN_KEYS ffdhe2048 1");
    let commit = sent
        .wait_for(WAIT, |l| l.starts_with("key_"))
        .expect("an answer to GEN_KEYS in a chat");
    assert!(commit.starts_with("key_commit 1 "), "{commit}");
    let before: Vec<_> = sent
        .lines()
        .into_iter()
        .take_while(|l| *l != commit)
        .collect();
    assert!(!before.iter().any(|l| l.starts_with("key_")), "{before:#?}");
}
