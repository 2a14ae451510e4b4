//! The user table as a state machine, with no socket: each client's queue is a [`Recorder`],
//! and each test states what every client must have been told.

use super::*;
use crate::kept::PER_ADDRESS;
use parking_lot::Mutex as PlMutex;
use std::collections::BTreeMap;

/// A client's queue that keeps the lines it was given.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<PlMutex<Recorded>>);

#[derive(Debug, Default)]
struct Recorded {
    lines: Vec<String>,
    closed: bool,
}

impl Sink for Recorder {
    fn push(&self, bytes: &[u8]) {
        let text = String::from_utf8(bytes.to_vec()).expect("the table queues text");
        let mut recorded = self.0.lock();
        assert!(!recorded.closed, "a line queued after close: {text:?}");
        recorded.lines.extend(text.lines().map(str::to_string));
    }

    fn close(&self) {
        self.0.lock().closed = true;
    }

    fn flush(&self) {}

    fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A table with named clients, and what each was told since the last look.
struct Lab {
    users: Users<Recorder>,
    clients: BTreeMap<&'static str, (ConnId, Recorder)>,
}

impl Lab {
    /// A table where each of `names` joined and registered.
    fn with(names: &[&'static str]) -> Lab {
        let mut lab = Lab {
            users: Users::new(100),
            clients: BTreeMap::new(),
        };
        for &name in names {
            let recorder = Recorder::default();
            let id = lab.users.join(recorder.clone(), HOME).expect("room");
            assert!(lab.users.register(id, &Name::parse(name).unwrap()));
            lab.clients.insert(name, (id, recorder));
            lab.told(name);
        }
        lab
    }

    fn id(&self, name: &str) -> ConnId {
        self.clients[name].0
    }

    /// Everything `name` was told since the last call.
    fn told(&self, name: &str) -> Vec<String> {
        std::mem::take(&mut self.clients[name].1 .0.lock().lines)
    }

    fn connect(&self, from: &str, to: &str) -> ChatChange {
        self.users.connect(
            self.id(from),
            to,
            Some("ffdhe2048"),
            &mut Refusals::default(),
        )
    }

    /// Asserts that nobody was told anything since the last look.
    fn quiet(&self) {
        for name in self.clients.keys() {
            assert_eq!(self.told(name), Vec::<String>::new(), "{name} was told");
        }
    }
}

fn name(n: &str) -> Name {
    Name::parse(n).unwrap()
}

/// The address every client of a [`Lab`] comes from.
const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

/// Another machine.
const AWAY: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

/// A pairing tells both, in order: connected, then GEN_KEYS with the chat's number; chat
/// numbers grow with every chat.
#[test]
fn pairing_tells_both_and_numbers_the_chat() {
    let lab = Lab::with(&["alice", "bob", "carol"]);
    assert_eq!(
        lab.connect("alice", "bob"),
        ChatChange::Started(name("alice"), name("bob"))
    );
    assert_eq!(
        lab.told("alice"),
        [
            "(server): You are now connected to bob",
            "GEN_KEYS ffdhe2048 1"
        ]
    );
    assert_eq!(
        lab.told("bob"),
        [
            "(server): You are now connected to alice",
            "GEN_KEYS ffdhe2048 1"
        ]
    );
    assert_eq!(lab.told("carol"), Vec::<String>::new());
    lab.users.goodbye(lab.id("bob"), &mut Refusals::default());
    lab.told("alice");
    lab.told("bob");
    lab.connect("carol", "ALICE");
    assert_eq!(
        lab.told("carol"),
        [
            "(server): You are now connected to alice",
            "GEN_KEYS ffdhe2048 2"
        ]
    );
}

/// Every refusal of `connect`, `goodbye` and chat: (who, what, what they are told).
#[test]
fn refusals() {
    let lab = Lab::with(&["alice", "bob", "carol", "dave"]);
    lab.connect("carol", "dave");
    lab.told("carol");
    lab.told("dave");
    type Act<'a> = &'a dyn Fn(&Lab);
    let cases: [(&str, Act, &str); 5] = [
        (
            "alice",
            &|lab| {
                lab.connect("alice", "zed");
            },
            "(server): There is no user named 'zed'; type status to see who is online",
        ),
        (
            "alice",
            &|lab| {
                lab.connect("alice", "Alice");
            },
            "(server): You cannot connect to yourself",
        ),
        (
            "alice",
            &|lab| {
                lab.connect("alice", "carol");
            },
            "(server): carol is BUSY in another chat; try again later",
        ),
        (
            "alice",
            &|lab| {
                lab.users.goodbye(lab.id("alice"), &mut Refusals::default());
            },
            "(server): You are not in a chat, so there is nothing to end",
        ),
        (
            "bob",
            &|lab| {
                assert!(lab.users.relay(lab.id("bob"), b"bob: hello\n").is_none());
            },
            "(server): You are not in a chat; type connect <user> to start one, status to see who is FREE, or help",
        ),
    ];
    for (who, act, answer) in cases {
        act(&lab);
        assert_eq!(lab.told(who), [answer], "{answer}");
        lab.quiet();
    }
    lab.connect("carol", "bob");
    assert_eq!(
        lab.told("carol"),
        ["(server): You are already in a chat with dave; type goodbye to end it first"]
    );
    lab.quiet();
}

/// Key lines: (who sends, line, what it became, what the partner is told).
#[test]
fn key_lines_are_forwarded_once_per_chat() {
    let lab = Lab::with(&["alice", "bob"]);
    lab.connect("alice", "bob");
    lab.told("alice");
    lab.told("bob");
    let hex = "ab".repeat(32);
    let commit = format!("1 {hex}");
    let cases = [
        (KeyLine::Commit, commit.as_str(), KeyTurn::Forwarded),
        (KeyLine::Commit, commit.as_str(), KeyTurn::NotExpected),
        (KeyLine::Param, "1 1234", KeyTurn::Forwarded),
        (KeyLine::Param, "1 1234", KeyTurn::NotExpected),
        (KeyLine::Param, "1234", KeyTurn::NotExpected),
        (KeyLine::Param, "7 1234", KeyTurn::NotExpected),
        (KeyLine::Param, "1 12x", KeyTurn::NotExpected),
        (KeyLine::Commit, "1 ABAB", KeyTurn::NotExpected),
    ];
    let mut forwarded = Vec::new();
    for (line, rest, want) in cases {
        assert_eq!(
            lab.users.relay_key(lab.id("alice"), line, rest),
            want,
            "{} {rest}",
            line.word()
        );
        if want == KeyTurn::Forwarded {
            let value = rest.split_once(' ').unwrap().1;
            forwarded.push(format!("{} {value}", line.word()));
        }
    }
    assert_eq!(lab.told("bob"), forwarded);
    assert_eq!(lab.told("alice"), Vec::<String>::new());

    // After the chat ends, an answer for it is a late one: dropped, not chat.
    lab.users.goodbye(lab.id("bob"), &mut Refusals::default());
    lab.told("alice");
    lab.told("bob");
    assert_eq!(
        lab.users.relay_key(lab.id("bob"), KeyLine::Param, "1 99"),
        KeyTurn::Stale
    );
    assert_eq!(
        lab.users.relay_key(lab.id("bob"), KeyLine::Commit, &commit),
        KeyTurn::Stale
    );
    lab.quiet();
}

/// A client that leaves frees its partner and its name; its queue is closed.
#[test]
fn leaving_frees_the_partner_and_the_name() {
    let lab = Lab::with(&["alice", "bob"]);
    lab.connect("alice", "bob");
    lab.told("alice");
    lab.told("bob");
    let (left, change, _) = lab.users.leave(lab.id("bob"), Parting::Closed);
    assert_eq!(left, Some(name("bob")));
    assert_eq!(change, ChatChange::Ended(name("bob"), name("alice")));
    assert_eq!(
        lab.told("alice"),
        ["(server): bob disconnected; the chat is over"]
    );
    assert!(lab.clients["bob"].1 .0.lock().closed);

    let again = Recorder::default();
    let id = lab.users.join(again.clone(), AWAY).unwrap();
    assert!(lab.users.register(id, &name("Bob")));
    lab.users.status(lab.id("alice"));
    assert_eq!(
        lab.told("alice"),
        [
            "(server): 2 users online:",
            "(server): - Bob: FREE",
            "(server): - alice: FREE (you)"
        ]
    );
}

/// Names: one taken spelling, a look-alike, and a full table.
#[test]
fn names_and_room() {
    let lab = Lab::with(&["alice"]);
    let late = Recorder::default();
    let id = lab.users.join(late.clone(), HOME).unwrap();
    for (proposal, answer) in [
        (
            "alice",
            "(server): The name 'alice' is already taken; please choose another:",
        ),
        (
            "\u{430}lice",
            "(server): That name is not valid: '\u{430}lice' looks too much like 'alice', who is online; please choose another:",
        ),
    ] {
        assert!(!lab.users.register(id, &name(proposal)));
        assert_eq!(std::mem::take(&mut late.0.lock().lines), [answer]);
    }

    let small: Users<Recorder> = Users::new(1);
    small.join(Recorder::default(), HOME).unwrap();
    assert_eq!(
        small.join(Recorder::default(), HOME),
        Err(JoinRefused::Full(1))
    );
    small.shut_down();
    assert_eq!(
        small.join(Recorder::default(), HOME),
        Err(JoinRefused::ShuttingDown)
    );
}

/// A name whose connection was lost is kept for its owner's address: another machine is told
/// why it cannot have it, the owner's machine gets it back. After `close`, or once the time is
/// up, it is free for anyone.
#[test]
fn a_lost_name_is_kept_for_its_owner() {
    let register = |users: &Users<Recorder>, host, who: &str| {
        let recorder = Recorder::default();
        let id = users.join(recorder.clone(), host).unwrap();
        let ok = users.register(id, &name(who));
        let told = std::mem::take(&mut recorder.0.lock().lines);
        (id, ok, told)
    };
    let users: Users<Recorder> = Users::new(10);
    let (victim, ok, _) = register(&users, HOME, "victim");
    assert!(ok);
    users.leave(victim, Parting::Lost);
    let (_, ok, told) = register(&users, AWAY, "Victim");
    assert!(!ok);
    assert!(
        told[0].contains("'Victim' lost the connection a moment ago, and the name is kept"),
        "{told:?}"
    );
    let (back, ok, _) = register(&users, HOME, "victim");
    assert!(ok, "the owner's machine gets its name back");

    users.leave(back, Parting::Closed);
    let (_, ok, _) = register(&users, AWAY, "victim");
    assert!(ok, "after close the name is free for anyone");

    let forgetful: Users<Recorder> = Users::new(10).keeping_names_for(Duration::ZERO);
    let (gone, _, _) = register(&forgetful, HOME, "victim");
    forgetful.leave(gone, Parting::Lost);
    let (_, ok, _) = register(&forgetful, AWAY, "victim");
    assert!(ok, "a name kept for no time is free at once");
}

/// One machine cannot use up the room for kept names to steal one: it loses 2,000 throwaway
/// names, of which only its last few are kept (its own oldest make room), then a victim on
/// another machine loses its connection, and that name is still kept for the victim.
#[test]
fn a_machine_that_loses_many_names_pushes_out_only_its_own() {
    let users: Users<Recorder> = Users::new(10);
    let lose = |host, who: &str| {
        let id = users.join(Recorder::default(), host).unwrap();
        assert!(users.register(id, &name(who)), "{who}");
        users.leave(id, Parting::Lost).2
    };
    assert_eq!(lose(HOME, "victim"), Some(Keeping::Kept));
    for n in 0..2000 {
        let keeping = lose(AWAY, &format!("throwaway{n:04}"));
        assert!(matches!(
            keeping,
            Some(Keeping::Kept | Keeping::KeptInstead(_))
        ));
    }
    assert_eq!(users.table.lock().kept.len(), 1 + PER_ADDRESS);

    let thief = users.join(Recorder::default(), AWAY).unwrap();
    assert!(
        !users.register(thief, &name("victim")),
        "the victim's name was taken"
    );
    let third = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 3));
    let someone = users.join(Recorder::default(), third).unwrap();
    assert!(
        !users.register(someone, &name("throwaway1999")),
        "the thief's latest names are kept"
    );
    assert!(
        users.register(someone, &name("throwaway0001")),
        "the thief's oldest names made room"
    );
}
