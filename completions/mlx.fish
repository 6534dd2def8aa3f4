# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mlx_global_optspecs
    string join \n C= q/quiet v/verbose h/help V/version
end

function __fish_mlx_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mlx_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mlx_using_subcommand
    set -l cmd (__fish_mlx_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mlx -n "__fish_mlx_needs_command" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_needs_command" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_needs_command" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_needs_command" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_needs_command" -s V -l version -d 'Print version'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "init" -d 'Make the enclosing git repository an mlx project (safe to run again)'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "add" -d 'Track files or directories: cache their content, write PATH.mlx pointers'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "status" -d 'Show tracked data that is modified, missing or not in the cache, and stale stages'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "checkout" -d 'Make the workspace match the pointers: restore, replace and remove tracked files'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "dag" -d 'Draw the pipeline: its stages in execution order and which feed which'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "lineage" -d 'Show how a file was made: the stages, runs, data and code behind it'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "attest" -d 'Write signed provenance for a file or model version: an in-toto statement (SLSA v1)'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "verify" -d 'Check an attestation: its signature, then every subject and input re-hashed'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "diff" -d 'Show data changes between two commits, or between a commit and the workspace'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "ls" -d 'List tracked data, or the files inside a tracked directory'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "rm" -d 'Stop tracking paths: drop their pointers and .gitignore lines, keep the data'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "unprotect" -d 'Make tracked files that are read-only links into the cache private, writable copies'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "gc" -d 'Delete cache objects that no pointer references'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "push" -d 'Upload the data (and with --runs, run records) the remote lacks'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "fetch" -d 'Download the data (and with --runs, run records) the cache lacks'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "pull" -d 'Fetch, then check out: make the workspace\'s data match its pointers'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "get" -d 'Download data from another mlx repository (a data registry) without tracking it'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "update" -d 'Move data imported with `mlx add --from` to a newer revision of its origin'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "remote" -d 'Configure remotes: where `mlx push` and `mlx fetch` send and find data'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "run" -d 'Run the pipeline\'s stale stages, or one command as a tracked run'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "log" -d 'Log params, metrics, tags or artifacts to a run'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "exp" -d 'Query, compare, delete and check experiments and their runs'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "data" -d 'Profile data files, check them against mlx.toml, and measure drift between versions'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "metrics" -d 'Show and compare the metrics files that stages declare, across commits'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "params" -d 'Compare the params that stages declare, across commits'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "model" -d 'Register model versions, assign them to stages and roll back, in git tags GTO reads'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "report" -d 'Report metrics, params and plots against a base revision, for a pull request'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "plots" -d 'Draw the plots that mlx.toml declares, and metric histories, as one HTML page'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "sql" -d 'Run one read-only SQL statement over the project database'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "cache" -d 'Inspect and repair the local cache'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "install-hooks" -d 'Install git hooks that keep data in step with commits, and the merge driver'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "hook" -d 'Run the mlx step of a git hook (called by the scripts `mlx install-hooks` installs)'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "ui" -d 'Browse experiments, metric curves, logs, artifacts and the pipeline in a local web app'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "serve" -d 'Serve MLflow\'s tracking API (and the web app) for code run outside `mlx run`'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "doctor" -d 'Check the project and its setup: git, config, cache, link types, database, remotes'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "watch" -d 'Watch the tracked folders so that `mlx status` need not stat every file'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "completions" -d 'Print a static shell completion script (commands and flags)'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "import" -d 'Bring in what another tool made: a DVC project, MLflow\'s runs'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "man" -d 'Write man pages for every command into a folder'
complete -c mlx -n "__fish_mlx_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand init" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand init" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand init" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand init" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand add" -l from -d 'Import PATH from this repository (a git URL or a folder), recording where it came from' -r
complete -c mlx -n "__fish_mlx_using_subcommand add" -l rev -d 'With --from: a branch, tag or commit of REPO (default: its default branch)' -r
complete -c mlx -n "__fish_mlx_using_subcommand add" -s o -l out -d 'With --from: where to put the data; an existing folder: inside it (default: PATH\'s name)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand add" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand add" -s y -l yes -d 'Do not ask before tracking a folder of more than 10,000 files (only asked at a terminal)'
complete -c mlx -n "__fish_mlx_using_subcommand add" -s f -l force -d 'With --from: replace what is at OUT'
complete -c mlx -n "__fish_mlx_using_subcommand add" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand add" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand add" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand status" -s r -l remote -d 'Compare the cache with this remote instead: what is not pushed, or not fetched' -r
complete -c mlx -n "__fish_mlx_using_subcommand status" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand status" -l check -d 'Exit with 1 when anything is not clean'
complete -c mlx -n "__fish_mlx_using_subcommand status" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand status" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand status" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -l rev -d 'Check out the data as recorded at this commit, branch or tag (pointers are read from git; the checked-out commit and the pointer files stay as they are)' -r
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -s f -l force -d 'Overwrite or delete workspace changes that are not saved in the cache'
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand checkout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand dag" -l format -d 'How to draw the graph' -r -f -a "text\t'Each stage on a line, with the stages it depends on: `train <- featurize`'
mermaid\t'A Mermaid `flowchart TD` block'
dot\t'A Graphviz `digraph`'"
complete -c mlx -n "__fish_mlx_using_subcommand dag" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand dag" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand dag" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand dag" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand dag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -l rev -d 'Read mlx.toml, mlx.lock and pointers at this revision (branch, tag or commit)' -r
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -l format -d 'How to draw it' -r -f -a "tree\t'An indented tree, the file first and what it was made from below it'
mermaid\t'A Mermaid `flowchart LR` block'
dot\t'A Graphviz `digraph`'"
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand lineage" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand attest" -s o -l out -d 'Write it to this file (default: stdout)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand attest" -l key -d 'Sign it with this ed25519 private key (PKCS#8 PEM or OpenSSH) into a DSSE envelope' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand attest" -l rev -d 'Read mlx.toml, mlx.lock and pointers at this revision (branch, tag or commit)' -r
complete -c mlx -n "__fish_mlx_using_subcommand attest" -s r -l remote -d 'The remote to fetch missing content from (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand attest" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand attest" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand attest" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand attest" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand attest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand verify" -l key -d 'Check the signature with this ed25519 key (public key PEM or OpenSSH, or a private key)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand verify" -s r -l remote -d 'The remote to fetch missing content from (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand verify" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand verify" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand verify" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand verify" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand diff" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand diff" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand diff" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand diff" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand ls" -l rev -d 'List what was tracked at this commit, branch or tag instead of the work tree' -r
complete -c mlx -n "__fish_mlx_using_subcommand ls" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand ls" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand ls" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand ls" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand ls" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand rm" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand rm" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand rm" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand rm" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand rm" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand unprotect" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand unprotect" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand unprotect" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand unprotect" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand unprotect" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -s r -l remote -d 'Delete unreferenced objects on this remote instead of in the cache' -r
complete -c mlx -n "__fish_mlx_using_subcommand gc" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand gc" -l workspace -d 'Keep only what the workspace references (the default without --remote)'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -l all-branches -d 'Also keep data referenced at the tip of every branch, local or remote-tracking'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -l all-tags -d 'Also keep data referenced by every tag'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -l all-commits -d 'Also keep data referenced by any commit in history'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -s n -l dry-run -d 'Only report what would be deleted'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand gc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand push" -s r -l remote -d 'The remote (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand push" -l rev -d 'The data of this commit, branch or tag instead of the workspace' -r
complete -c mlx -n "__fish_mlx_using_subcommand push" -s j -l jobs -d 'Parallel transfers (default: the remote\'s `jobs` setting, else 32)' -r
complete -c mlx -n "__fish_mlx_using_subcommand push" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand push" -l all-branches -d 'Also the data at the tip of every local branch'
complete -c mlx -n "__fish_mlx_using_subcommand push" -l all-tags -d 'Also the data of every tag'
complete -c mlx -n "__fish_mlx_using_subcommand push" -l all-commits -d 'Also the data of every commit in history'
complete -c mlx -n "__fish_mlx_using_subcommand push" -l runs -d 'Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`'
complete -c mlx -n "__fish_mlx_using_subcommand push" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand push" -l repair -d 'Re-read the remote\'s copy of every object it has (a full download) and replace those whose bytes are wrong, and any missing from a directory it has'
complete -c mlx -n "__fish_mlx_using_subcommand push" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand push" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand push" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -s r -l remote -d 'The remote (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -l rev -d 'The data of this commit, branch or tag instead of the workspace' -r
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -s j -l jobs -d 'Parallel transfers (default: the remote\'s `jobs` setting, else 32)' -r
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -l all-branches -d 'Also the data at the tip of every local branch'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -l all-tags -d 'Also the data of every tag'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -l all-commits -d 'Also the data of every commit in history'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -l runs -d 'Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand fetch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s r -l remote -d 'The remote (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand pull" -l rev -d 'The data of this commit, branch or tag instead of the workspace' -r
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s j -l jobs -d 'Parallel transfers (default: the remote\'s `jobs` setting, else 32)' -r
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand pull" -l all-branches -d 'Also the data at the tip of every local branch'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -l all-tags -d 'Also the data of every tag'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -l all-commits -d 'Also the data of every commit in history'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -l runs -d 'Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s f -l force -d 'Overwrite or delete workspace changes that are not saved in the cache'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand pull" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand get" -l rev -d 'A branch, tag or commit of REPO (default: its default branch)' -r
complete -c mlx -n "__fish_mlx_using_subcommand get" -s o -l out -d 'Where to write it; an existing folder: inside it (default: the path\'s file name, here)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand get" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand get" -s f -l force -d 'Replace what is at OUT'
complete -c mlx -n "__fish_mlx_using_subcommand get" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand get" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand get" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand update" -l rev -d 'A branch, tag or commit of the origin to move to (recorded for later updates)' -r
complete -c mlx -n "__fish_mlx_using_subcommand update" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand update" -s f -l force -d 'Replace data changed in the work tree since it was imported'
complete -c mlx -n "__fish_mlx_using_subcommand update" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand update" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand update" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -f -a "add" -d 'Add a remote to mlx.toml (or, with --local, to this clone only)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -f -a "list" -d 'List remotes: URL (passwords redacted), where each is defined, and its options'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -f -a "remove" -d 'Remove a remote from mlx.toml and .mlx/config.local.toml'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -f -a "modify" -d 'Set or unset one option of a remote'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -f -a "default" -d 'Show the default remote, or set it'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and not __fish_seen_subcommand_from add list remove modify default help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -l default -d 'Make it the default remote ([core] remote)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -l local -d 'Write to .mlx/config.local.toml (this clone only, ignored by git) instead of mlx.toml'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -l force -d 'Replace a remote of the same name'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from list" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from remove" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from remove" -l local -d 'Remove only its settings in .mlx/config.local.toml (e.g. credentials)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from remove" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -l local -d 'Edit .mlx/config.local.toml (this clone only, ignored by git) instead of mlx.toml'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -l unset -d 'Remove the option instead of setting it'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from modify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -l local -d 'Set it in .mlx/config.local.toml (this clone only) instead of mlx.toml'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -l unset -d 'Clear the default'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from default" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a remote to mlx.toml (or, with --local, to this clone only)'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from help" -f -a "list" -d 'List remotes: URL (passwords redacted), where each is defined, and its options'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a remote from mlx.toml and .mlx/config.local.toml'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from help" -f -a "modify" -d 'Set or unset one option of a remote'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from help" -f -a "default" -d 'Show the default remote, or set it'
complete -c mlx -n "__fish_mlx_using_subcommand remote; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s j -l jobs -d 'How many independent stages may run at once [default: 1]' -r
complete -c mlx -n "__fish_mlx_using_subcommand run" -l set -d 'Override a param for this run only (the params file is restored afterwards)' -r
complete -c mlx -n "__fish_mlx_using_subcommand run" -l name -d 'A name for the experiment (unique; made up when left out), or for the run with `-- CMD`' -r
complete -c mlx -n "__fish_mlx_using_subcommand run" -l tag -d 'A tag to record (with `-- CMD`; repeatable)' -r
complete -c mlx -n "__fish_mlx_using_subcommand run" -l param -d 'A parameter to record (with `-- CMD`; repeatable)' -r
complete -c mlx -n "__fish_mlx_using_subcommand run" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand run" -s f -l force -d 'Run the stages even when nothing changed'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s n -l dry-run -d 'Show what would run and why, without running anything'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s s -l single -d 'Only the named stages, not what they depend on'
complete -c mlx -n "__fish_mlx_using_subcommand run" -l downstream -d 'The named stages and everything that depends on them'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s k -l keep-going -d 'After a stage fails, go on with the stages that do not depend on it'
complete -c mlx -n "__fish_mlx_using_subcommand run" -l pull -d 'Restore a stale stage from the default remote\'s stage cache when any machine pushed a result for the same inputs, instead of running it'
complete -c mlx -n "__fish_mlx_using_subcommand run" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -f -a "param" -d 'Record parameters: `mlx log param lr=0.01 optimizer=adam`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -f -a "metric" -d 'Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -f -a "tag" -d 'Record tags: `mlx log tag dataset=v2`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -f -a "artifact" -d 'Store files or directories in the cache and attach them: `mlx log artifact model.pkl`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from param" -l run -d 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID' -r
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from param" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from param" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from param" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from param" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from param" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -l step -d 'The step (iteration, epoch) these values belong to; default 0' -r
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -l run -d 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID' -r
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from metric" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from tag" -l run -d 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID' -r
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from tag" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from tag" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from tag" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from tag" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from artifact" -l run -d 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID' -r
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from artifact" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from artifact" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from artifact" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from artifact" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from artifact" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "param" -d 'Record parameters: `mlx log param lr=0.01 optimizer=adam`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "metric" -d 'Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "tag" -d 'Record tags: `mlx log tag dataset=v2`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "artifact" -d 'Store files or directories in the cache and attach them: `mlx log artifact model.pkl`'
complete -c mlx -n "__fish_mlx_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "list" -d 'List experiments with their params and metrics, newest first'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "show" -d 'Show an experiment (its stages, params and metrics) or one run in full'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "diff" -d 'Compare two experiments (or runs): git state, params, latest metrics, tags and environment'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "rm" -d 'Delete experiments and runs with their params, metrics, tags and artifact references'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "check" -d 'Check an experiment against an expression; exit 1 when it does not hold (a CI gate)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "run" -d 'Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "queue" -d 'List, run or remove the variants queued with `mlx exp run --queue`'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "log" -d 'Print the output a run captured, or that of each stage of an experiment'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "get" -d 'Write a run\'s artifacts, or those of an experiment\'s stages, out of the cache into a folder'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "apply" -d 'Bring an experiment\'s params, code and outputs into the work tree'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "branch" -d 'Make a git branch holding an experiment\'s result'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and not __fish_seen_subcommand_from list show diff rm check run queue log get apply branch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l filter -d 'Only experiments (runs, with --stages) matching this expression' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l sort -d 'Order by this field: metrics.acc (ascending), -metrics.acc or \'metrics.acc desc\' (descending) [default: newest first]' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l commit -d 'Only experiments recorded on this commit (anything git accepts: HEAD, main~3, a tag); repeatable' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l limit -d 'At most N rows' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l columns -d 'Only these params and metrics columns: names, keys or globs (`train.*`), comma-separated or repeated' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l drop -d 'Leave out these params and metrics columns (names or globs)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l stages -d 'List stage runs (and command runs), one row each, instead of experiments'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l only-changed -d 'Only the params and metrics columns whose values differ between the rows shown'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l wide -d 'Every column in full, however wide the terminal'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l all-columns -d 'Kept for scripts written before --only-changed: every column is shown by default'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l md -d 'Print a GitHub-flavoured markdown table (for CI comments)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l csv -d 'Print CSV (every column, full ids and times) instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from show" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from diff" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from diff" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from rm" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from rm" -l force -d 'Also delete experiments and runs that are still marked running'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from rm" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from rm" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -l exp -d 'The experiment to check (name, id or unique prefix) [default: HEAD\'s]' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -l run -d 'Check one run instead (id, unique prefix or name)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -l stage -d 'Check only this stage\'s run of the experiment' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -l ancestors -d 'When no experiment stands for HEAD, check the nearest first-parent ancestor\'s (up to 100 commits back); the output says which'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -l set -d 'Override a param in the variant (repeatable): KEY=VALUE or FILE:KEY=VALUE' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -l name -d 'A name for the experiment (default: exp-XXXXXX)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s j -l jobs -d 'How many independent stages may run at once [default: 1]' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -l queued -d 'Run the queue entry NAME (what `mlx exp queue start` runs for each entry)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s f -l force -d 'Run the stages even when nothing changed'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s k -l keep-going -d 'After a stage fails, go on with the stages that do not depend on it'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -l pull -d 'Restore a stale stage from the default remote\'s stage cache when any machine pushed a result for the same inputs, instead of running it'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -l queue -d 'Queue the variant instead of running it (run the queue with `mlx exp queue start`)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -f -a "list" -d 'List the queued variants, oldest first (those being run last)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -f -a "start" -d 'Run the queued variants, oldest first, each in its own isolated workspace'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -f -a "remove" -d 'Remove queued variants (not yet started) by name'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from queue" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -l stage -d 'Of an experiment, only the run of this stage' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -l tail -d 'Only the last N lines (of each run\'s output)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -s r -l remote -d 'The remote to fetch the log from when the cache lacks it (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -l follow -d 'For a run still running: keep printing what it writes until it ends'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -l stage -d 'Of an experiment, only the artifacts of this stage\'s run' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s o -l out -d 'The folder to write into (default: the current folder)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s r -l remote -d 'The remote to fetch missing objects from (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s f -l force -d 'Replace files that are there with other content'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -s r -l remote -d 'The remote to fetch missing outputs from (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -s f -l force -d 'Overwrite local changes to the files and outputs it changes'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from branch" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from branch" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from branch" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from branch" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from branch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "list" -d 'List experiments with their params and metrics, newest first'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show an experiment (its stages, params and metrics) or one run in full'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Compare two experiments (or runs): git state, params, latest metrics, tags and environment'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Delete experiments and runs with their params, metrics, tags and artifact references'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check an experiment against an expression; exit 1 when it does not hold (a CI gate)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "queue" -d 'List, run or remove the variants queued with `mlx exp run --queue`'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "log" -d 'Print the output a run captured, or that of each stage of an experiment'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "get" -d 'Write a run\'s artifacts, or those of an experiment\'s stages, out of the cache into a folder'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "apply" -d 'Bring an experiment\'s params, code and outputs into the work tree'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "branch" -d 'Make a git branch holding an experiment\'s result'
complete -c mlx -n "__fish_mlx_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -f -a "profile" -d 'Profile a data file: per column its type, counts, range, quantiles and top values'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -f -a "check" -d 'Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -f -a "drift" -d 'Measure drift between two versions of a data file; exit 1 when a column is over a threshold'
complete -c mlx -n "__fish_mlx_using_subcommand data; and not __fish_seen_subcommand_from profile check drift help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -l rev -d 'The version a revision (branch, tag or commit) records, instead of the work tree\'s file' -r
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -l remote -d 'The remote to read profiles and data from (default: the default remote)' -r
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from profile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from check" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from check" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -l from -d 'The reference version: a revision (branch, tag or commit)' -r
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -l to -d 'The version compared (default: the work tree\'s file)' -r
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -l exp -d 'Two experiments or runs (the reference first): the versions they read' -r
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -l remote -d 'The remote to read profiles and data from (default: the default remote)' -r
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -l md -d 'Print a Markdown table (for a pull-request comment)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from drift" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from help" -f -a "profile" -d 'Profile a data file: per column its type, counts, range, quantiles and top values'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from help" -f -a "check" -d 'Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from help" -f -a "drift" -d 'Measure drift between two versions of a data file; exit 1 when a column is over a threshold'
complete -c mlx -n "__fish_mlx_using_subcommand data; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -f -a "show" -d 'Show the values in every declared metrics file, in the workspace or at a revision'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -f -a "diff" -d 'Compare the declared metrics files between two commits, or a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and not __fish_seen_subcommand_from show diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from show" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from show" -l md -d 'Print a GitHub-flavoured markdown table (for CI comments)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -l all -d 'List unchanged metrics too'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -l md -d 'Print a GitHub-flavoured markdown table (for CI comments)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show the values in every declared metrics file, in the workspace or at a revision'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Compare the declared metrics files between two commits, or a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand metrics; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand params; and not __fish_seen_subcommand_from diff help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand params; and not __fish_seen_subcommand_from diff help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand params; and not __fish_seen_subcommand_from diff help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand params; and not __fish_seen_subcommand_from diff help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand params; and not __fish_seen_subcommand_from diff help" -f -a "diff" -d 'Compare the params stages declare between two commits, or a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand params; and not __fish_seen_subcommand_from diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -l all -d 'List unchanged params too'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -l md -d 'Print a GitHub-flavoured markdown table (for CI comments)'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Compare the params stages declare between two commits, or a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand params; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "register" -d 'Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "list" -d 'List the registered models: latest version and who holds each stage'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "show" -d 'Show a model\'s versions and stages, or one version with its artifact, run, data and metrics'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "history" -d 'Every registration, assignment, deregistration and deprecation of a model, newest first'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "assign" -d 'Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "rollback" -d 'Give a stage back to the version that held it before the current one (a new assignment tag)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "deprecate" -d 'Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "get" -d 'Write a version\'s artifact out of the cache, fetching it from the remote when missing'
complete -c mlx -n "__fish_mlx_using_subcommand model; and not __fish_seen_subcommand_from register list show history assign rollback deprecate get help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -l run -d 'Register an artifact of this run (id, unique prefix or name)' -r
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -l version -d 'The version to register, e.g. v1.2.0' -r
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -l bump -d 'Which part of the greatest version to bump' -r -f -a "major\t''
minor\t''
patch\t''"
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -s m -l message -d 'The tag\'s message (default: GTO\'s)' -r
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -l rev -d 'The commit to tag (default: HEAD, or the run\'s commit with --run)' -r
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from register" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from list" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from show" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from history" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from history" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from history" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from history" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from assign" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from assign" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from assign" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from assign" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from assign" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from rollback" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from rollback" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from rollback" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from rollback" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from deprecate" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from deprecate" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from deprecate" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from deprecate" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from deprecate" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s o -l out -d 'Where to write it (default: its path, under the current folder)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s r -l remote -d 'The remote to fetch from (default: `[core] remote`, or the only one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s f -l force -d 'Replace files that are there with other content'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "register" -d 'Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the registered models: latest version and who holds each stage'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a model\'s versions and stages, or one version with its artifact, run, data and metrics'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "history" -d 'Every registration, assignment, deregistration and deprecation of a model, newest first'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "assign" -d 'Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Give a stage back to the version that held it before the current one (a new assignment tag)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "deprecate" -d 'Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "get" -d 'Write a version\'s artifact out of the cache, fetching it from the remote when missing'
complete -c mlx -n "__fish_mlx_using_subcommand model; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand report" -l base -d 'The revision to compare the workspace with (default HEAD)' -r
complete -c mlx -n "__fish_mlx_using_subcommand report" -s o -l out -d 'Write the report into this folder (made if missing) instead of stdout' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand report" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand report" -l md -d 'Markdown (the default)'
complete -c mlx -n "__fish_mlx_using_subcommand report" -l html -d 'One self-contained HTML page'
complete -c mlx -n "__fish_mlx_using_subcommand report" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand report" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand report" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -f -a "show" -d 'Draw the workspace\'s plots into one self-contained HTML file and print its path'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -f -a "diff" -d 'Overlay the plots of git revisions and experiments with the workspace\'s'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and not __fish_seen_subcommand_from show diff help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -s o -l out -d 'Write the page here (default: .mlx/plots/index.html)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -l open -d 'Open the page in a browser ($BROWSER, else xdg-open or open)'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -l json -d 'Print the resolved data as JSON instead of writing a page'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -l exp -d 'Experiments to overlay (name, id or unique prefix)' -r
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -l plot -d 'Only these plots (default: all)' -r
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -s o -l out -d 'Write the page here (default: .mlx/plots/index.html)' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -l no-workspace -d 'Leave the workspace out'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -l open -d 'Open the page in a browser ($BROWSER, else xdg-open or open)'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -l json -d 'Print the resolved data as JSON instead of writing a page'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from help" -f -a "show" -d 'Draw the workspace\'s plots into one self-contained HTML file and print its path'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Overlay the plots of git revisions and experiments with the workspace\'s'
complete -c mlx -n "__fish_mlx_using_subcommand plots; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand sql" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand sql" -l csv -d 'Print CSV instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand sql" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand sql" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand sql" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand sql" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -f -a "verify" -d 'Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -f -a "stats" -d 'Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and not __fish_seen_subcommand_from verify stats help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from verify" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from stats" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from stats" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from stats" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from stats" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from stats" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "verify" -d 'Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "stats" -d 'Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving'
complete -c mlx -n "__fish_mlx_using_subcommand cache; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand install-hooks" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand install-hooks" -l uninstall -d 'Remove mlx\'s hooks (restoring the ones they chained to) and the merge driver'
complete -c mlx -n "__fish_mlx_using_subcommand install-hooks" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand install-hooks" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand install-hooks" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand install-hooks" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand hook" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand hook" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand hook" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand hook" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand ui" -l port -d 'The port to listen on (default: a free one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand ui" -l host -d 'The address to listen on; anything but a loopback address lets other machines read it' -r
complete -c mlx -n "__fish_mlx_using_subcommand ui" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand ui" -l open -d 'Open the page in the default browser'
complete -c mlx -n "__fish_mlx_using_subcommand ui" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand ui" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand ui" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand serve" -l port -d 'The port to listen on (0: a free one)' -r
complete -c mlx -n "__fish_mlx_using_subcommand serve" -l host -d 'The address to listen on; anything but a loopback address lets other machines log to it' -r
complete -c mlx -n "__fish_mlx_using_subcommand serve" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand serve" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand serve" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -l timeout -d 'Seconds to wait for the remotes to answer, all together' -r
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -l no-remotes -d 'Do not contact the remotes (their settings are still checked)'
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -f -a "start" -d 'Start the watcher in the background (nothing happens when one runs)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -f -a "run" -d 'Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -f -a "stop" -d 'Stop the watcher'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -f -a "status" -d 'Show whether a watcher runs, what it watches and how many walks it saved'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and not __fish_seen_subcommand_from start run stop status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from start" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from start" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from start" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from start" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from run" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from run" -l detach -d 'Leave the terminal\'s session first (how `mlx watch start` runs it)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from run" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from stop" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from stop" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from stop" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from stop" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from stop" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from status" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from status" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start the watcher in the background (nothing happens when one runs)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "stop" -d 'Stop the watcher'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show whether a watcher runs, what it watches and how many walks it saved'
complete -c mlx -n "__fish_mlx_using_subcommand watch; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand completions" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand completions" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand completions" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -f -a "dvc" -d 'Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes'
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -f -a "mlflow" -d 'Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database'
complete -c mlx -n "__fish_mlx_using_subcommand import; and not __fish_seen_subcommand_from dvc mlflow help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from dvc" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from dvc" -s n -l dry-run -d 'Only report what would be converted and written'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from dvc" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from dvc" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from dvc" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from dvc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -l from -d 'The store: an mlruns/ folder, a SQLite file, or sqlite:///PATH' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -s n -l dry-run -d 'Only report what would be imported; write nothing'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -l json -d 'Print JSON instead of a table'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from mlflow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "dvc" -d 'Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "mlflow" -d 'Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database'
complete -c mlx -n "__fish_mlx_using_subcommand import; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand man" -s C -d 'Run as if mlx was started in DIR' -r -F
complete -c mlx -n "__fish_mlx_using_subcommand man" -s q -l quiet -d 'Print only the data asked for and problems: no status, progress or account of success'
complete -c mlx -n "__fish_mlx_using_subcommand man" -s v -l verbose -d 'Log more (-v: info, -vv: debug)'
complete -c mlx -n "__fish_mlx_using_subcommand man" -s h -l help -d 'Print help'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "init" -d 'Make the enclosing git repository an mlx project (safe to run again)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "add" -d 'Track files or directories: cache their content, write PATH.mlx pointers'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "status" -d 'Show tracked data that is modified, missing or not in the cache, and stale stages'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "checkout" -d 'Make the workspace match the pointers: restore, replace and remove tracked files'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "dag" -d 'Draw the pipeline: its stages in execution order and which feed which'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "lineage" -d 'Show how a file was made: the stages, runs, data and code behind it'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "attest" -d 'Write signed provenance for a file or model version: an in-toto statement (SLSA v1)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "verify" -d 'Check an attestation: its signature, then every subject and input re-hashed'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "diff" -d 'Show data changes between two commits, or between a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "ls" -d 'List tracked data, or the files inside a tracked directory'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "rm" -d 'Stop tracking paths: drop their pointers and .gitignore lines, keep the data'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "unprotect" -d 'Make tracked files that are read-only links into the cache private, writable copies'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "gc" -d 'Delete cache objects that no pointer references'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "push" -d 'Upload the data (and with --runs, run records) the remote lacks'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "fetch" -d 'Download the data (and with --runs, run records) the cache lacks'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "pull" -d 'Fetch, then check out: make the workspace\'s data match its pointers'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "get" -d 'Download data from another mlx repository (a data registry) without tracking it'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "update" -d 'Move data imported with `mlx add --from` to a newer revision of its origin'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "remote" -d 'Configure remotes: where `mlx push` and `mlx fetch` send and find data'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "run" -d 'Run the pipeline\'s stale stages, or one command as a tracked run'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "log" -d 'Log params, metrics, tags or artifacts to a run'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "exp" -d 'Query, compare, delete and check experiments and their runs'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "data" -d 'Profile data files, check them against mlx.toml, and measure drift between versions'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "metrics" -d 'Show and compare the metrics files that stages declare, across commits'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "params" -d 'Compare the params that stages declare, across commits'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "model" -d 'Register model versions, assign them to stages and roll back, in git tags GTO reads'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "report" -d 'Report metrics, params and plots against a base revision, for a pull request'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "plots" -d 'Draw the plots that mlx.toml declares, and metric histories, as one HTML page'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "sql" -d 'Run one read-only SQL statement over the project database'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "cache" -d 'Inspect and repair the local cache'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "install-hooks" -d 'Install git hooks that keep data in step with commits, and the merge driver'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "hook" -d 'Run the mlx step of a git hook (called by the scripts `mlx install-hooks` installs)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "ui" -d 'Browse experiments, metric curves, logs, artifacts and the pipeline in a local web app'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "serve" -d 'Serve MLflow\'s tracking API (and the web app) for code run outside `mlx run`'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "doctor" -d 'Check the project and its setup: git, config, cache, link types, database, remotes'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "watch" -d 'Watch the tracked folders so that `mlx status` need not stat every file'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "completions" -d 'Print a static shell completion script (commands and flags)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "import" -d 'Bring in what another tool made: a DVC project, MLflow\'s runs'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "man" -d 'Write man pages for every command into a folder'
complete -c mlx -n "__fish_mlx_using_subcommand help; and not __fish_seen_subcommand_from init add status checkout dag lineage attest verify diff ls rm unprotect gc push fetch pull get update remote run log exp data metrics params model report plots sql cache install-hooks hook ui serve doctor watch completions import man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from remote" -f -a "add" -d 'Add a remote to mlx.toml (or, with --local, to this clone only)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from remote" -f -a "list" -d 'List remotes: URL (passwords redacted), where each is defined, and its options'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from remote" -f -a "remove" -d 'Remove a remote from mlx.toml and .mlx/config.local.toml'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from remote" -f -a "modify" -d 'Set or unset one option of a remote'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from remote" -f -a "default" -d 'Show the default remote, or set it'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "param" -d 'Record parameters: `mlx log param lr=0.01 optimizer=adam`'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "metric" -d 'Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "tag" -d 'Record tags: `mlx log tag dataset=v2`'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "artifact" -d 'Store files or directories in the cache and attach them: `mlx log artifact model.pkl`'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "list" -d 'List experiments with their params and metrics, newest first'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "show" -d 'Show an experiment (its stages, params and metrics) or one run in full'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "diff" -d 'Compare two experiments (or runs): git state, params, latest metrics, tags and environment'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "rm" -d 'Delete experiments and runs with their params, metrics, tags and artifact references'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "check" -d 'Check an experiment against an expression; exit 1 when it does not hold (a CI gate)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "run" -d 'Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "queue" -d 'List, run or remove the variants queued with `mlx exp run --queue`'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "log" -d 'Print the output a run captured, or that of each stage of an experiment'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "get" -d 'Write a run\'s artifacts, or those of an experiment\'s stages, out of the cache into a folder'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "apply" -d 'Bring an experiment\'s params, code and outputs into the work tree'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from exp" -f -a "branch" -d 'Make a git branch holding an experiment\'s result'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from data" -f -a "profile" -d 'Profile a data file: per column its type, counts, range, quantiles and top values'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from data" -f -a "check" -d 'Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from data" -f -a "drift" -d 'Measure drift between two versions of a data file; exit 1 when a column is over a threshold'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from metrics" -f -a "show" -d 'Show the values in every declared metrics file, in the workspace or at a revision'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from metrics" -f -a "diff" -d 'Compare the declared metrics files between two commits, or a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from params" -f -a "diff" -d 'Compare the params stages declare between two commits, or a commit and the workspace'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "register" -d 'Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "list" -d 'List the registered models: latest version and who holds each stage'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "show" -d 'Show a model\'s versions and stages, or one version with its artifact, run, data and metrics'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "history" -d 'Every registration, assignment, deregistration and deprecation of a model, newest first'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "assign" -d 'Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "rollback" -d 'Give a stage back to the version that held it before the current one (a new assignment tag)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "deprecate" -d 'Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from model" -f -a "get" -d 'Write a version\'s artifact out of the cache, fetching it from the remote when missing'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from plots" -f -a "show" -d 'Draw the workspace\'s plots into one self-contained HTML file and print its path'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from plots" -f -a "diff" -d 'Overlay the plots of git revisions and experiments with the workspace\'s'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "verify" -d 'Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from cache" -f -a "stats" -d 'Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "start" -d 'Start the watcher in the background (nothing happens when one runs)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "run" -d 'Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "stop" -d 'Stop the watcher'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from watch" -f -a "status" -d 'Show whether a watcher runs, what it watches and how many walks it saved'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "dvc" -d 'Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes'
complete -c mlx -n "__fish_mlx_using_subcommand help; and __fish_seen_subcommand_from import" -f -a "mlflow" -d 'Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database'
