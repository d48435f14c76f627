// Package verify is Warden's independent audit-log verifier.
//
// It checks a log written in the C2SP tlog-tiles layout (as Tessera's POSIX
// driver writes it, and as Warden serves it under /audit/) against a C2SP
// tlog-checkpoint signed by an Ed25519 note key, without trusting the
// program that wrote the log:
//
//   - [OpenCheckpoint] checks a checkpoint's signature and origin;
//   - [Log] re-reads every entry bundle, rebuilds the RFC 6962 Merkle root
//     from the entries and compares it with the checkpoint (and optionally
//     proves the log consistent with an older checkpoint the caller holds);
//   - [ProveInclusion], [CheckInclusion], [ProveConsistency] and
//     [CheckConsistency] make and check proofs from the hash tiles, every
//     tile being authenticated against the checkpoint root first;
//   - [Bundle] is a self-contained evidence file (records, their inclusion
//     proofs and the checkpoint) that can be checked offline.
//
// The log is read through a [Source]: [Dir] for a directory on disk,
// [HTTP] for a server publishing the same layout. Tessera's LogReader also
// satisfies Source.
//
// The package imports nothing but the standard library and
// golang.org/x/mod/sumdb/{note,tlog}, so an auditor can vendor it alone.
// Failures are reported as *[Error] values whose Kind says what is wrong
// and whose Index, when known, says where.
package verify
