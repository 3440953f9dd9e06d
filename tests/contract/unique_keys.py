"""Fails when a mapping of openapi.yaml names a key twice.

YAML readers keep the last of two equal keys, so a path or a schema written twice silently loses
its first description. Run by scripts/contract.sh before schemathesis reads the spec.
"""

import sys

import yaml


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader, node):
    seen = {}
    for key, _ in node.value:
        if key.tag == "tag:yaml.org,2002:merge":
            continue
        if key.value in seen:
            _Loader.duplicates.append(
                f"{key.value!r} at line {key.start_mark.line + 1} "
                f"(first at line {seen[key.value]})"
            )
        seen.setdefault(key.value, key.start_mark.line + 1)
    return yaml.SafeLoader.construct_mapping(loader, node)


_Loader.duplicates = []
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)

if __name__ == "__main__":
    path = sys.argv[1]
    with open(path, encoding="utf-8") as spec:
        yaml.load(spec, Loader=_Loader)
    for duplicate in _Loader.duplicates:
        print(f"{path}: key {duplicate} written twice", file=sys.stderr)
    sys.exit(1 if _Loader.duplicates else 0)
