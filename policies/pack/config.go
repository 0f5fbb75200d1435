package pack

// Options of the advisory policies arrive as JSON decoded into map[string]any (numbers are
// float64, lists []any). A missing or mistyped option falls back to its default: a policy
// pack must not fail a deployment because of its own configuration, and the engine already
// validates the config against each policy's ConfigSchema.

func configInt(cfg map[string]any, key string, def int) int {
	switch v := cfg[key].(type) {
	case float64:
		if v == float64(int(v)) {
			return int(v)
		}
	case int:
		return v
	}
	return def
}

func configBool(cfg map[string]any, key string, def bool) bool {
	if v, ok := cfg[key].(bool); ok {
		return v
	}
	return def
}

func configStrings(cfg map[string]any, key string, def []string) []string {
	switch v := cfg[key].(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			s, ok := item.(string)
			if !ok {
				return def
			}
			out = append(out, s)
		}
		return out
	}
	return def
}
