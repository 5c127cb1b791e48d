package storage

import "time"

// MarkQuorumLost makes s remember a quorum_lost health answer at, as Health does
// when a distributed MinIO has lost its write quorum (which one MinIO server in a
// test cannot show).
func (s *ObjectStore) MarkQuorumLost(at time.Time) { s.quorumLostAt.Store(at.UnixNano()) }
