package anonymize

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func find(m *matcher, s string) (string, bool) {
	orig, _, ok := m.find(newFolder().reset(s))
	return orig, ok
}

func matcherOf(values []string, mode matchMode) *matcher {
	m := newMatcher(mode)
	for _, v := range values {
		m.add(matchKey(v), v, false)
	}
	return m
}

func TestMatcherSubstring(t *testing.T) {
	m := matcherOf([]string{"RyPow", "prox1", "10.20.30.40"}, matchSubstring)
	for s, want := range map[string]string{
		"/home/rypow/":       "RyPow",
		"xRYPOWx":            "RyPow",
		"host=prox1.lan":     "prox1",
		"dst 10.20.30.40:22": "10.20.30.40",
		"rypo w":             "",
		"":                   "",
		"p":                  "",
	} {
		got, ok := find(m, s)
		require.Equal(t, want != "", ok, s)
		require.Equal(t, want, got, s)
	}
}

func TestMatcherWords(t *testing.T) {
	m := matcherOf([]string{"tool", "deploy.sh"}, matchWord)
	for s, want := range map[string]bool{
		"FILE_OPEN:tool:OTHER":           true,
		"bash->tool":                     true,
		"PROC_EXEC:tool->bash":           true,
		"tool":                           true,
		"TOOL":                           true,
		"custom_tool_001":                false,
		"toolbox":                        false,
		"mytool":                         false,
		"tool2":                          false,
		"/opt/tools/":                    false,
		"PROC_EXEC:deploy.sh->bash":      true,
		"PROC_EXEC:deploy.shx->bash":     false,
		"/srv/tool/":                     true,
		"caf\u00e9tool":                  false, // a non-ASCII letter is part of the word
		"PROC_EXIT:custom_tool_001:tool": true,
	} {
		_, ok := find(m, s)
		require.Equal(t, want, ok, s)
	}
}

func TestMatcherUnicodeFolding(t *testing.T) {
	m := matcherOf([]string{"Müller"}, matchSubstring)
	_, ok := find(m, "/home/MÜLLER/")
	require.True(t, ok)
}

func TestBase64Scanner(t *testing.T) {
	secret := "rypow"
	m := matcherOf([]string{secret}, matchSubstring)
	hit := func(s string) bool {
		var b b64Scanner
		return b.each([]byte(s), func(d []byte) bool {
			_, _, ok := m.find(newFolder().keyBytes(d))
			return ok
		})
	}
	std := base64.StdEncoding.EncodeToString
	url := base64.RawURLEncoding.EncodeToString
	for _, s := range []string{
		std([]byte(secret)),
		"--token=" + std([]byte("user:"+secret)),
		"x" + std([]byte("ab"+secret+"cd")), // misaligned start
		"xy" + url([]byte("\xfb\xff"+secret)),
		strings.TrimRight(std([]byte(secret+"!")), "="),
		std([]byte("k=" + std([]byte(secret)))), // base64 inside base64
	} {
		require.True(t, hit(s), s)
	}
	for _, s := range []string{"", "abc", "FILE_OPEN:bash:USER_HOME", std([]byte("nothing here"))} {
		require.False(t, hit(s), s)
	}
}

func TestContainsWord(t *testing.T) {
	require.True(t, containsWord("net_connect\x00public\x00web", "public"))
	require.False(t, containsWord("custom_tool_", "tool"))
	require.True(t, containsWord("a\x00git-remote-https", "remote"))
	require.False(t, containsWord("", "x"))
}
