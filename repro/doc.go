// Package repro holds the program language of sockfuzz: the program AST (prog.go), its text form
// (parse.go, print.go), its validation (validate.go) and limits (limits.go), the byte codec
// (codec.go), the executor (exec.go), the minimizer (minimize.go) and the crash store
// (store.go).
//
// A program is a header, up to MaxProcs processes each making up to MaxCalls system calls, and a
// wire script of up to MaxWireOps operations. Its text is line-oriented, shaped like syzkaller's
// programs and packetdrill's packets:
//
//	# sockfuzz program v1
//	# oracle: accept-queue: socket on so_comp without SS_COMP
//	faults  accept-queue-unlocked
//	cpus    2
//	mode    controlled
//	sched   pct seed=0x1f3a depth=3 steps=5000
//
//	proc p0
//	  r0 = socket(tcp)
//	  bind(r0, :80)
//	  listen(r0, 2)
//	  r1 = accept(r0)
//	  close(r1)
//	proc p1
//	  r2 = socket(tcp)
//	  connect(r2, :80)
//	  send(r2, 5, oob)
//	  close(r2)
//
//	wire
//	  < 10.0.0.2:4000 > :80 S 0:0(0)
//	  < 10.0.0.2:4000 > :80 . 1:1(0) ack 1
//	  tick 2msl
//
// The grammar, one construct per line; blanks and tabs separate tokens, '#' starts a comment
// that runs to the end of the line, and blank lines are ignored:
//
//	program  = { "#" comment } header { proc } [ wire ]
//	header   = { "target" ident | "faults" ident { ident } | "cpus" 1..4
//	           | "mode" ("controlled" | "free") | "sched" schedule }   each at most once, any order
//	schedule = "default" | "random" [ "seed=" num ]
//	         | "pct" { "seed=" num | "depth=" 1..16 | "steps=" num }
//	         | "syncpct" { "seed=" num | "depth=" 1..16 | "syncs=" num }
//	         | "walk" { "seed=" num | "odds=" 2..1048576 }
//	         | "preempt" { "seed=" num | "depth=" 1..16 | "points=" num }
//	         | "bytes" [ hex ] | "replay" { thread | "c" }
//	proc     = "proc" ident { call }
//	call     = [ "r" N "=" ] name "(" [ arg { "," arg } ] ")"
//	wire     = "wire" { wireop }
//	wireop   = "<" addr ">" addr flags seq ":" seq "(" len ")" { "ack" num | "win" num | "urg" num }
//	         | "<" addr ">" addr "udp" "(" len ")"
//	         | "drop" | "dup" | "reorder" | "unreach" | "stackclose"
//	         | "tick" ( 1..600000 | "2msl" )
//	addr     = ":" port | a "." b "." c "." d ":" port
//	flags    = "." | { "S" | "F" | "R" | "P" | "U" } [ "." ]
//
// The target names the stack the program runs on (a registered stack.Target; bsd when absent).
// The kinds of schedule and their parameters are the substrate's registry (sched.RegisterKind):
// a parameter left out takes its default.
//
// The leading comment lines (before the header) belong to the program and are kept verbatim;
// other comments are dropped. Numbers are decimal, or hexadecimal after 0x. An ident is a
// letter followed by letters, digits, '_' and '-'.
//
// Resources are the descriptors socket, accept and dup return: "rN = " names the result, and
// results are numbered across the whole program in order of definition (r0, r1, ...), so that a
// process may use a descriptor another process created (the descriptor table is shared). An
// argument rN must name a result defined on an earlier line. The system calls:
//
//	socket(tcp|udp)                     bind(rN, :port)            listen(rN, -1..1024)
//	connect(rN, addr)                   accept(rN)                 close(rN)
//	send(rN, len, [oob], [dontwait])    sendto(rN, len, addr, [oob], [dontwait])
//	recv(rN, len, [oob], [peek], [dontwait], [waitall])    recvfrom(rN, len, ...as recv)
//	shutdown(rN, rd|wr|rdwr)            dup(rN)                    sockatmark(rN)
//	ioctl(rN, fioasync|fionbio, 0|1)    fcntl(rN, setown, pN)      getsockopt(rN, error)
//	setsockopt(rN, linger, on|off, secs)
//	poll(rN, in|out|pri..., wait|nowait)                           interrupt(pN)
//
// Payloads are len zero bytes, len at most MaxPayload. Flags are given at most once each, in
// any order. Processes are referred to by name and may be referred to before their proc line.
//
// Injected packets come from the remote peer and are written as packetdrill writes them: the
// sequence numbers are the peer's own, the ack number is relative to the stack's initial
// sequence number. The ACK flag is set exactly when "ack N" is given; "." stands for no other
// flag. An absent window is DefaultWin. Ticks are in milliseconds of virtual time.
//
// The other wire operations act on the segments in flight, oldest first: drop drops one, dup
// duplicates one, reorder swaps the two oldest. Two operations exist only on targets that list
// them (stack.CallWireUnreach, stack.CallWireStackClose; netstack does, bsd does not), and a
// program using one elsewhere does not validate: unreach takes the oldest in-flight segment
// the stack sent to the remote peer off the wire, as a router that cannot reach the peer
// would, and delivers to the stack an ICMP destination unreachable (host unreachable) quoting
// it, doing nothing when no such segment is in flight; stackclose closes the whole stack
// while the program runs (netstack: gVisor's Stack.Close), after which calls on the program's
// descriptors fail and socket answers EAFNOSUPPORT.
//
// Parse reads text into a Program, reporting errors as "file:line:col: expected X, found Y"
// (*SyntaxError); String prints a Program back, and the two round-trip. Validate checks a
// program built in Go. CheckText is the text fuzz target's check.
package repro
