package schema

import "path/filepath"

// Generate derives every generated file from the declarations, by path from the repository
// root.
func Generate(root string) (map[string][]byte, error) {
	decl, err := Load(filepath.Join(root, "stackconfig"))
	if err != nil {
		return nil, err
	}
	args, err := ProviderArgs(decl)
	if err != nil {
		return nil, err
	}
	project, err := Project(decl)
	if err != nil {
		return nil, err
	}
	keys, err := Keys(decl)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		ProviderArgsFile: args,
		ProjectFile:      project,
		ReferenceFile:    Reference(decl),
		KeysFile:         keys,
	}, nil
}
