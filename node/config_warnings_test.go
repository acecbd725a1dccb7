package node

import (
	"strings"
	"testing"
)

func TestConfigWarnings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rf    int
		peers []string
		l     layoutFacts
		want  string // "" for no warning
	}{
		{"single node", 1, nil, layoutFacts{version: 1, replicationFactor: 1}, ""},
		{"cluster as configured", 3, []string{"a@b:3901"}, layoutFacts{version: 2, replicationFactor: 3}, ""},
		{"joining a cluster", 3, []string{"a@b:3901"}, layoutFacts{}, ""},
		{"file changed after the layout", 1, nil, layoutFacts{version: 4, replicationFactor: 3},
			"replication_factor = 1 in the configuration has no effect: the applied layout (version 4) keeps 3 copies; change it with 'garage-web layout config -r 1'"},
		{"rf 3 alone", 3, nil, layoutFacts{}, "replication_factor = 3 with no bootstrap_peers: this node waits for 3 nodes"},
	} {
		got := configWarnings(tc.rf, tc.peers, tc.l)
		switch {
		case tc.want == "" && len(got) != 0:
			t.Errorf("%s: unexpected warnings %q", tc.name, got)
		case tc.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tc.want)):
			t.Errorf("%s: %q, want one starting %q", tc.name, got, tc.want)
		}
	}
}
