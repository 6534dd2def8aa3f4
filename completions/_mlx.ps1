
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mlx' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mlx'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mlx' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make the enclosing git repository an mlx project (safe to run again)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Track files or directories: cache their content, write PATH.mlx pointers')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show tracked data that is modified, missing or not in the cache, and stale stages')
            [CompletionResult]::new('checkout', 'checkout', [CompletionResultType]::ParameterValue, 'Make the workspace match the pointers: restore, replace and remove tracked files')
            [CompletionResult]::new('dag', 'dag', [CompletionResultType]::ParameterValue, 'Draw the pipeline: its stages in execution order and which feed which')
            [CompletionResult]::new('lineage', 'lineage', [CompletionResultType]::ParameterValue, 'Show how a file was made: the stages, runs, data and code behind it')
            [CompletionResult]::new('attest', 'attest', [CompletionResultType]::ParameterValue, 'Write signed provenance for a file or model version: an in-toto statement (SLSA v1)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an attestation: its signature, then every subject and input re-hashed')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show data changes between two commits, or between a commit and the workspace')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List tracked data, or the files inside a tracked directory')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Stop tracking paths: drop their pointers and .gitignore lines, keep the data')
            [CompletionResult]::new('unprotect', 'unprotect', [CompletionResultType]::ParameterValue, 'Make tracked files that are read-only links into the cache private, writable copies')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Delete cache objects that no pointer references')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Upload the data (and with --runs, run records) the remote lacks')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download the data (and with --runs, run records) the cache lacks')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Fetch, then check out: make the workspace''s data match its pointers')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Download data from another mlx repository (a data registry) without tracking it')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Move data imported with `mlx add --from` to a newer revision of its origin')
            [CompletionResult]::new('remote', 'remote', [CompletionResultType]::ParameterValue, 'Configure remotes: where `mlx push` and `mlx fetch` send and find data')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the pipeline''s stale stages, or one command as a tracked run')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Log params, metrics, tags or artifacts to a run')
            [CompletionResult]::new('exp', 'exp', [CompletionResultType]::ParameterValue, 'Query, compare, delete and check experiments and their runs')
            [CompletionResult]::new('data', 'data', [CompletionResultType]::ParameterValue, 'Profile data files, check them against mlx.toml, and measure drift between versions')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Show and compare the metrics files that stages declare, across commits')
            [CompletionResult]::new('params', 'params', [CompletionResultType]::ParameterValue, 'Compare the params that stages declare, across commits')
            [CompletionResult]::new('model', 'model', [CompletionResultType]::ParameterValue, 'Register model versions, assign them to stages and roll back, in git tags GTO reads')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Report metrics, params and plots against a base revision, for a pull request')
            [CompletionResult]::new('plots', 'plots', [CompletionResultType]::ParameterValue, 'Draw the plots that mlx.toml declares, and metric histories, as one HTML page')
            [CompletionResult]::new('sql', 'sql', [CompletionResultType]::ParameterValue, 'Run one read-only SQL statement over the project database')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect and repair the local cache')
            [CompletionResult]::new('install-hooks', 'install-hooks', [CompletionResultType]::ParameterValue, 'Install git hooks that keep data in step with commits, and the merge driver')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Run the mlx step of a git hook (called by the scripts `mlx install-hooks` installs)')
            [CompletionResult]::new('ui', 'ui', [CompletionResultType]::ParameterValue, 'Browse experiments, metric curves, logs, artifacts and the pipeline in a local web app')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve MLflow''s tracking API (and the web app) for code run outside `mlx run`')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the project and its setup: git, config, cache, link types, database, remotes')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch the tracked folders so that `mlx status` need not stat every file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a static shell completion script (commands and flags)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Bring in what another tool made: a DVC project, MLflow''s runs')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages for every command into a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;init' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;add' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'Import PATH from this repository (a git URL or a folder), recording where it came from')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'With --from: a branch, tag or commit of REPO (default: its default branch)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'With --from: where to put the data; an existing folder: inside it (default: PATH''s name)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'With --from: where to put the data; an existing folder: inside it (default: PATH''s name)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before tracking a folder of more than 10,000 files (only asked at a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before tracking a folder of more than 10,000 files (only asked at a terminal)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'With --from: replace what is at OUT')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --from: replace what is at OUT')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;status' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Compare the cache with this remote instead: what is not pushed, or not fetched')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Compare the cache with this remote instead: what is not pushed, or not fetched')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Exit with 1 when anything is not clean')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;checkout' {
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'Check out the data as recorded at this commit, branch or tag (pointers are read from git; the checked-out commit and the pointer files stay as they are)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Overwrite or delete workspace changes that are not saved in the cache')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite or delete workspace changes that are not saved in the cache')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;dag' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to draw the graph')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;lineage' {
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'Read mlx.toml, mlx.lock and pointers at this revision (branch, tag or commit)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to draw it')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;attest' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write it to this file (default: stdout)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write it to this file (default: stdout)')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Sign it with this ed25519 private key (PKCS#8 PEM or OpenSSH) into a DSSE envelope')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'Read mlx.toml, mlx.lock and pointers at this revision (branch, tag or commit)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote to fetch missing content from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to fetch missing content from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;verify' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Check the signature with this ed25519 key (public key PEM or OpenSSH, or a private key)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote to fetch missing content from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to fetch missing content from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;diff' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;ls' {
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'List what was tracked at this commit, branch or tag instead of the work tree')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;rm' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;unprotect' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;gc' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Delete unreferenced objects on this remote instead of in the cache')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'Delete unreferenced objects on this remote instead of in the cache')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--workspace', '--workspace', [CompletionResultType]::ParameterName, 'Keep only what the workspace references (the default without --remote)')
            [CompletionResult]::new('--all-branches', '--all-branches', [CompletionResultType]::ParameterName, 'Also keep data referenced at the tip of every branch, local or remote-tracking')
            [CompletionResult]::new('--all-tags', '--all-tags', [CompletionResultType]::ParameterName, 'Also keep data referenced by every tag')
            [CompletionResult]::new('--all-commits', '--all-commits', [CompletionResultType]::ParameterName, 'Also keep data referenced by any commit in history')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only report what would be deleted')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only report what would be deleted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;push' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'The data of this commit, branch or tag instead of the workspace')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Parallel transfers (default: the remote''s `jobs` setting, else 32)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Parallel transfers (default: the remote''s `jobs` setting, else 32)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--all-branches', '--all-branches', [CompletionResultType]::ParameterName, 'Also the data at the tip of every local branch')
            [CompletionResult]::new('--all-tags', '--all-tags', [CompletionResultType]::ParameterName, 'Also the data of every tag')
            [CompletionResult]::new('--all-commits', '--all-commits', [CompletionResultType]::ParameterName, 'Also the data of every commit in history')
            [CompletionResult]::new('--runs', '--runs', [CompletionResultType]::ParameterName, 'Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('--repair', '--repair', [CompletionResultType]::ParameterName, 'Re-read the remote''s copy of every object it has (a full download) and replace those whose bytes are wrong, and any missing from a directory it has')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;fetch' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'The data of this commit, branch or tag instead of the workspace')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Parallel transfers (default: the remote''s `jobs` setting, else 32)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Parallel transfers (default: the remote''s `jobs` setting, else 32)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--all-branches', '--all-branches', [CompletionResultType]::ParameterName, 'Also the data at the tip of every local branch')
            [CompletionResult]::new('--all-tags', '--all-tags', [CompletionResultType]::ParameterName, 'Also the data of every tag')
            [CompletionResult]::new('--all-commits', '--all-commits', [CompletionResultType]::ParameterName, 'Also the data of every commit in history')
            [CompletionResult]::new('--runs', '--runs', [CompletionResultType]::ParameterName, 'Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;pull' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'The data of this commit, branch or tag instead of the workspace')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Parallel transfers (default: the remote''s `jobs` setting, else 32)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Parallel transfers (default: the remote''s `jobs` setting, else 32)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--all-branches', '--all-branches', [CompletionResultType]::ParameterName, 'Also the data at the tip of every local branch')
            [CompletionResult]::new('--all-tags', '--all-tags', [CompletionResultType]::ParameterName, 'Also the data of every tag')
            [CompletionResult]::new('--all-commits', '--all-commits', [CompletionResultType]::ParameterName, 'Also the data of every commit in history')
            [CompletionResult]::new('--runs', '--runs', [CompletionResultType]::ParameterName, 'Also run records (params, metrics, tags, artifacts) so teammates see them in `mlx exp list`')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Overwrite or delete workspace changes that are not saved in the cache')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite or delete workspace changes that are not saved in the cache')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;get' {
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'A branch, tag or commit of REPO (default: its default branch)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write it; an existing folder: inside it (default: the path''s file name, here)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write it; an existing folder: inside it (default: the path''s file name, here)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace what is at OUT')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace what is at OUT')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;update' {
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'A branch, tag or commit of the origin to move to (recorded for later updates)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace data changed in the work tree since it was imported')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace data changed in the work tree since it was imported')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;remote' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a remote to mlx.toml (or, with --local, to this clone only)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List remotes: URL (passwords redacted), where each is defined, and its options')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a remote from mlx.toml and .mlx/config.local.toml')
            [CompletionResult]::new('modify', 'modify', [CompletionResultType]::ParameterValue, 'Set or unset one option of a remote')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Show the default remote, or set it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;remote;add' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--default', '--default', [CompletionResultType]::ParameterName, 'Make it the default remote ([core] remote)')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Write to .mlx/config.local.toml (this clone only, ignored by git) instead of mlx.toml')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a remote of the same name')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;remote;list' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;remote;remove' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Remove only its settings in .mlx/config.local.toml (e.g. credentials)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;remote;modify' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Edit .mlx/config.local.toml (this clone only, ignored by git) instead of mlx.toml')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Remove the option instead of setting it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;remote;default' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Set it in .mlx/config.local.toml (this clone only) instead of mlx.toml')
            [CompletionResult]::new('--unset', '--unset', [CompletionResultType]::ParameterName, 'Clear the default')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;remote;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a remote to mlx.toml (or, with --local, to this clone only)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List remotes: URL (passwords redacted), where each is defined, and its options')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a remote from mlx.toml and .mlx/config.local.toml')
            [CompletionResult]::new('modify', 'modify', [CompletionResultType]::ParameterValue, 'Set or unset one option of a remote')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Show the default remote, or set it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;remote;help;add' {
            break
        }
        'mlx;remote;help;list' {
            break
        }
        'mlx;remote;help;remove' {
            break
        }
        'mlx;remote;help;modify' {
            break
        }
        'mlx;remote;help;default' {
            break
        }
        'mlx;remote;help;help' {
            break
        }
        'mlx;run' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many independent stages may run at once [default: 1]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many independent stages may run at once [default: 1]')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a param for this run only (the params file is restored afterwards)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name for the experiment (unique; made up when left out), or for the run with `-- CMD`')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'A tag to record (with `-- CMD`; repeatable)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'A parameter to record (with `-- CMD`; repeatable)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Run the stages even when nothing changed')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Run the stages even when nothing changed')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would run and why, without running anything')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would run and why, without running anything')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'Only the named stages, not what they depend on')
            [CompletionResult]::new('--single', '--single', [CompletionResultType]::ParameterName, 'Only the named stages, not what they depend on')
            [CompletionResult]::new('--downstream', '--downstream', [CompletionResultType]::ParameterName, 'The named stages and everything that depends on them')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'After a stage fails, go on with the stages that do not depend on it')
            [CompletionResult]::new('--keep-going', '--keep-going', [CompletionResultType]::ParameterName, 'After a stage fails, go on with the stages that do not depend on it')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Restore a stale stage from the default remote''s stage cache when any machine pushed a result for the same inputs, instead of running it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;log' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('param', 'param', [CompletionResultType]::ParameterValue, 'Record parameters: `mlx log param lr=0.01 optimizer=adam`')
            [CompletionResult]::new('metric', 'metric', [CompletionResultType]::ParameterValue, 'Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Record tags: `mlx log tag dataset=v2`')
            [CompletionResult]::new('artifact', 'artifact', [CompletionResultType]::ParameterValue, 'Store files or directories in the cache and attach them: `mlx log artifact model.pkl`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;log;param' {
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;log;metric' {
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'The step (iteration, epoch) these values belong to; default 0')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;log;tag' {
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;log;artifact' {
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'The run to log to (an id, unique prefix or name); default: $MLX_RUN_ID')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;log;help' {
            [CompletionResult]::new('param', 'param', [CompletionResultType]::ParameterValue, 'Record parameters: `mlx log param lr=0.01 optimizer=adam`')
            [CompletionResult]::new('metric', 'metric', [CompletionResultType]::ParameterValue, 'Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Record tags: `mlx log tag dataset=v2`')
            [CompletionResult]::new('artifact', 'artifact', [CompletionResultType]::ParameterValue, 'Store files or directories in the cache and attach them: `mlx log artifact model.pkl`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;log;help;param' {
            break
        }
        'mlx;log;help;metric' {
            break
        }
        'mlx;log;help;tag' {
            break
        }
        'mlx;log;help;artifact' {
            break
        }
        'mlx;log;help;help' {
            break
        }
        'mlx;exp' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments with their params and metrics, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an experiment (its stages, params and metrics) or one run in full')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two experiments (or runs): git state, params, latest metrics, tags and environment')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete experiments and runs with their params, metrics, tags and artifact references')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an experiment against an expression; exit 1 when it does not hold (a CI gate)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'List, run or remove the variants queued with `mlx exp run --queue`')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print the output a run captured, or that of each stage of an experiment')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Write a run''s artifacts, or those of an experiment''s stages, out of the cache into a folder')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Bring an experiment''s params, code and outputs into the work tree')
            [CompletionResult]::new('branch', 'branch', [CompletionResultType]::ParameterValue, 'Make a git branch holding an experiment''s result')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;exp;list' {
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only experiments (runs, with --stages) matching this expression')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order by this field: metrics.acc (ascending), -metrics.acc or ''metrics.acc desc'' (descending) [default: newest first]')
            [CompletionResult]::new('--commit', '--commit', [CompletionResultType]::ParameterName, 'Only experiments recorded on this commit (anything git accepts: HEAD, main~3, a tag); repeatable')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most N rows')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Only these params and metrics columns: names, keys or globs (`train.*`), comma-separated or repeated')
            [CompletionResult]::new('--drop', '--drop', [CompletionResultType]::ParameterName, 'Leave out these params and metrics columns (names or globs)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--stages', '--stages', [CompletionResultType]::ParameterName, 'List stage runs (and command runs), one row each, instead of experiments')
            [CompletionResult]::new('--only-changed', '--only-changed', [CompletionResultType]::ParameterName, 'Only the params and metrics columns whose values differ between the rows shown')
            [CompletionResult]::new('--wide', '--wide', [CompletionResultType]::ParameterName, 'Every column in full, however wide the terminal')
            [CompletionResult]::new('--all-columns', '--all-columns', [CompletionResultType]::ParameterName, 'Kept for scripts written before --only-changed: every column is shown by default')
            [CompletionResult]::new('--md', '--md', [CompletionResultType]::ParameterName, 'Print a GitHub-flavoured markdown table (for CI comments)')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Print CSV (every column, full ids and times) instead of a table')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;show' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;diff' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;rm' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Also delete experiments and runs that are still marked running')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;check' {
            [CompletionResult]::new('--exp', '--exp', [CompletionResultType]::ParameterName, 'The experiment to check (name, id or unique prefix) [default: HEAD''s]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Check one run instead (id, unique prefix or name)')
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'Check only this stage''s run of the experiment')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--ancestors', '--ancestors', [CompletionResultType]::ParameterName, 'When no experiment stands for HEAD, check the nearest first-parent ancestor''s (up to 100 commits back); the output says which')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;run' {
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Override a param in the variant (repeatable): KEY=VALUE or FILE:KEY=VALUE')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'A name for the experiment (default: exp-XXXXXX)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many independent stages may run at once [default: 1]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many independent stages may run at once [default: 1]')
            [CompletionResult]::new('--queued', '--queued', [CompletionResultType]::ParameterName, 'Run the queue entry NAME (what `mlx exp queue start` runs for each entry)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Run the stages even when nothing changed')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Run the stages even when nothing changed')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'After a stage fails, go on with the stages that do not depend on it')
            [CompletionResult]::new('--keep-going', '--keep-going', [CompletionResultType]::ParameterName, 'After a stage fails, go on with the stages that do not depend on it')
            [CompletionResult]::new('--pull', '--pull', [CompletionResultType]::ParameterName, 'Restore a stale stage from the default remote''s stage cache when any machine pushed a result for the same inputs, instead of running it')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Queue the variant instead of running it (run the queue with `mlx exp queue start`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;queue' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the queued variants, oldest first (those being run last)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Run the queued variants, oldest first, each in its own isolated workspace')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove queued variants (not yet started) by name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;exp;queue;list' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;exp;queue;start' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'How many variants run at once')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'How many variants run at once')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;queue;remove' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;exp;queue;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the queued variants, oldest first (those being run last)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Run the queued variants, oldest first, each in its own isolated workspace')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove queued variants (not yet started) by name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;exp;queue;help;list' {
            break
        }
        'mlx;exp;queue;help;start' {
            break
        }
        'mlx;exp;queue;help;remove' {
            break
        }
        'mlx;exp;queue;help;help' {
            break
        }
        'mlx;exp;log' {
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'Of an experiment, only the run of this stage')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Only the last N lines (of each run''s output)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote to fetch the log from when the cache lacks it (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to fetch the log from when the cache lacks it (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'For a run still running: keep printing what it writes until it ends')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;get' {
            [CompletionResult]::new('--stage', '--stage', [CompletionResultType]::ParameterName, 'Of an experiment, only the artifacts of this stage''s run')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The folder to write into (default: the current folder)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The folder to write into (default: the current folder)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote to fetch missing objects from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to fetch missing objects from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace files that are there with other content')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files that are there with other content')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;apply' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote to fetch missing outputs from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to fetch missing outputs from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Overwrite local changes to the files and outputs it changes')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite local changes to the files and outputs it changes')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;branch' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;exp;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments with their params and metrics, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an experiment (its stages, params and metrics) or one run in full')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two experiments (or runs): git state, params, latest metrics, tags and environment')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete experiments and runs with their params, metrics, tags and artifact references')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an experiment against an expression; exit 1 when it does not hold (a CI gate)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'List, run or remove the variants queued with `mlx exp run --queue`')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print the output a run captured, or that of each stage of an experiment')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Write a run''s artifacts, or those of an experiment''s stages, out of the cache into a folder')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Bring an experiment''s params, code and outputs into the work tree')
            [CompletionResult]::new('branch', 'branch', [CompletionResultType]::ParameterValue, 'Make a git branch holding an experiment''s result')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;exp;help;list' {
            break
        }
        'mlx;exp;help;show' {
            break
        }
        'mlx;exp;help;diff' {
            break
        }
        'mlx;exp;help;rm' {
            break
        }
        'mlx;exp;help;check' {
            break
        }
        'mlx;exp;help;run' {
            break
        }
        'mlx;exp;help;queue' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the queued variants, oldest first (those being run last)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Run the queued variants, oldest first, each in its own isolated workspace')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove queued variants (not yet started) by name')
            break
        }
        'mlx;exp;help;queue;list' {
            break
        }
        'mlx;exp;help;queue;start' {
            break
        }
        'mlx;exp;help;queue;remove' {
            break
        }
        'mlx;exp;help;log' {
            break
        }
        'mlx;exp;help;get' {
            break
        }
        'mlx;exp;help;apply' {
            break
        }
        'mlx;exp;help;branch' {
            break
        }
        'mlx;exp;help;help' {
            break
        }
        'mlx;data' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Profile a data file: per column its type, counts, range, quantiles and top values')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Measure drift between two versions of a data file; exit 1 when a column is over a threshold')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;data;profile' {
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'The version a revision (branch, tag or commit) records, instead of the work tree''s file')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to read profiles and data from (default: the default remote)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;data;check' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;data;drift' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The reference version: a revision (branch, tag or commit)')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The version compared (default: the work tree''s file)')
            [CompletionResult]::new('--exp', '--exp', [CompletionResultType]::ParameterName, 'Two experiments or runs (the reference first): the versions they read')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to read profiles and data from (default: the default remote)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--md', '--md', [CompletionResultType]::ParameterName, 'Print a Markdown table (for a pull-request comment)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;data;help' {
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Profile a data file: per column its type, counts, range, quantiles and top values')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Measure drift between two versions of a data file; exit 1 when a column is over a threshold')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;data;help;profile' {
            break
        }
        'mlx;data;help;check' {
            break
        }
        'mlx;data;help;drift' {
            break
        }
        'mlx;data;help;help' {
            break
        }
        'mlx;metrics' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the values in every declared metrics file, in the workspace or at a revision')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the declared metrics files between two commits, or a commit and the workspace')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;metrics;show' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('--md', '--md', [CompletionResultType]::ParameterName, 'Print a GitHub-flavoured markdown table (for CI comments)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;metrics;diff' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'List unchanged metrics too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('--md', '--md', [CompletionResultType]::ParameterName, 'Print a GitHub-flavoured markdown table (for CI comments)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;metrics;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the values in every declared metrics file, in the workspace or at a revision')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the declared metrics files between two commits, or a commit and the workspace')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;metrics;help;show' {
            break
        }
        'mlx;metrics;help;diff' {
            break
        }
        'mlx;metrics;help;help' {
            break
        }
        'mlx;params' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the params stages declare between two commits, or a commit and the workspace')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;params;diff' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'List unchanged params too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('--md', '--md', [CompletionResultType]::ParameterName, 'Print a GitHub-flavoured markdown table (for CI comments)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;params;help' {
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the params stages declare between two commits, or a commit and the workspace')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;params;help;diff' {
            break
        }
        'mlx;params;help;help' {
            break
        }
        'mlx;model' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the registered models: latest version and who holds each stage')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a model''s versions and stages, or one version with its artifact, run, data and metrics')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Every registration, assignment, deregistration and deprecation of a model, newest first')
            [CompletionResult]::new('assign', 'assign', [CompletionResultType]::ParameterValue, 'Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Give a stage back to the version that held it before the current one (a new assignment tag)')
            [CompletionResult]::new('deprecate', 'deprecate', [CompletionResultType]::ParameterValue, 'Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Write a version''s artifact out of the cache, fetching it from the remote when missing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;model;register' {
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Register an artifact of this run (id, unique prefix or name)')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'The version to register, e.g. v1.2.0')
            [CompletionResult]::new('--bump', '--bump', [CompletionResultType]::ParameterName, 'Which part of the greatest version to bump')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The tag''s message (default: GTO''s)')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'The tag''s message (default: GTO''s)')
            [CompletionResult]::new('--rev', '--rev', [CompletionResultType]::ParameterName, 'The commit to tag (default: HEAD, or the run''s commit with --run)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;model;list' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;model;show' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;model;history' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;model;assign' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;model;rollback' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;model;deprecate' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;model;get' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write it (default: its path, under the current folder)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write it (default: its path, under the current folder)')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'The remote to fetch from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('--remote', '--remote', [CompletionResultType]::ParameterName, 'The remote to fetch from (default: `[core] remote`, or the only one)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Replace files that are there with other content')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files that are there with other content')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;model;help' {
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the registered models: latest version and who holds each stage')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a model''s versions and stages, or one version with its artifact, run, data and metrics')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Every registration, assignment, deregistration and deprecation of a model, newest first')
            [CompletionResult]::new('assign', 'assign', [CompletionResultType]::ParameterValue, 'Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Give a stage back to the version that held it before the current one (a new assignment tag)')
            [CompletionResult]::new('deprecate', 'deprecate', [CompletionResultType]::ParameterValue, 'Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Write a version''s artifact out of the cache, fetching it from the remote when missing')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;model;help;register' {
            break
        }
        'mlx;model;help;list' {
            break
        }
        'mlx;model;help;show' {
            break
        }
        'mlx;model;help;history' {
            break
        }
        'mlx;model;help;assign' {
            break
        }
        'mlx;model;help;rollback' {
            break
        }
        'mlx;model;help;deprecate' {
            break
        }
        'mlx;model;help;get' {
            break
        }
        'mlx;model;help;help' {
            break
        }
        'mlx;report' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'The revision to compare the workspace with (default HEAD)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the report into this folder (made if missing) instead of stdout')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the report into this folder (made if missing) instead of stdout')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--md', '--md', [CompletionResultType]::ParameterName, 'Markdown (the default)')
            [CompletionResult]::new('--html', '--html', [CompletionResultType]::ParameterName, 'One self-contained HTML page')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;plots' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Draw the workspace''s plots into one self-contained HTML file and print its path')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Overlay the plots of git revisions and experiments with the workspace''s')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;plots;show' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the page here (default: .mlx/plots/index.html)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the page here (default: .mlx/plots/index.html)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the page in a browser ($BROWSER, else xdg-open or open)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the resolved data as JSON instead of writing a page')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;plots;diff' {
            [CompletionResult]::new('--exp', '--exp', [CompletionResultType]::ParameterName, 'Experiments to overlay (name, id or unique prefix)')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Only these plots (default: all)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the page here (default: .mlx/plots/index.html)')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Write the page here (default: .mlx/plots/index.html)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--no-workspace', '--no-workspace', [CompletionResultType]::ParameterName, 'Leave the workspace out')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the page in a browser ($BROWSER, else xdg-open or open)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the resolved data as JSON instead of writing a page')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;plots;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Draw the workspace''s plots into one self-contained HTML file and print its path')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Overlay the plots of git revisions and experiments with the workspace''s')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;plots;help;show' {
            break
        }
        'mlx;plots;help;diff' {
            break
        }
        'mlx;plots;help;help' {
            break
        }
        'mlx;sql' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Print CSV instead of a table')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;cache' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;cache;verify' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;cache;stats' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;cache;help' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;cache;help;verify' {
            break
        }
        'mlx;cache;help;stats' {
            break
        }
        'mlx;cache;help;help' {
            break
        }
        'mlx;install-hooks' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--uninstall', '--uninstall', [CompletionResultType]::ParameterName, 'Remove mlx''s hooks (restoring the ones they chained to) and the merge driver')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;hook' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;ui' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port to listen on (default: a free one)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The address to listen on; anything but a loopback address lets other machines read it')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the page in the default browser')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;serve' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'The port to listen on (0: a free one)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'The address to listen on; anything but a loopback address lets other machines log to it')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;doctor' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the remotes to answer, all together')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--no-remotes', '--no-remotes', [CompletionResultType]::ParameterName, 'Do not contact the remotes (their settings are still checked)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;watch' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the watcher in the background (nothing happens when one runs)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the watcher')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether a watcher runs, what it watches and how many walks it saved')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;watch;start' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;watch;run' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Leave the terminal''s session first (how `mlx watch start` runs it)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;watch;stop' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;watch;status' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;watch;help' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the watcher in the background (nothing happens when one runs)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the watcher')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether a watcher runs, what it watches and how many walks it saved')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;watch;help;start' {
            break
        }
        'mlx;watch;help;run' {
            break
        }
        'mlx;watch;help;stop' {
            break
        }
        'mlx;watch;help;status' {
            break
        }
        'mlx;watch;help;help' {
            break
        }
        'mlx;completions' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;import' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('dvc', 'dvc', [CompletionResultType]::ParameterValue, 'Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes')
            [CompletionResult]::new('mlflow', 'mlflow', [CompletionResultType]::ParameterValue, 'Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;import;dvc' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only report what would be converted and written')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only report what would be converted and written')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;import;mlflow' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The store: an mlruns/ folder, a SQLite file, or sqlite:///PATH')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Only report what would be imported; write nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Only report what would be imported; write nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'mlx;import;help' {
            [CompletionResult]::new('dvc', 'dvc', [CompletionResultType]::ParameterValue, 'Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes')
            [CompletionResult]::new('mlflow', 'mlflow', [CompletionResultType]::ParameterValue, 'Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;import;help;dvc' {
            break
        }
        'mlx;import;help;mlflow' {
            break
        }
        'mlx;import;help;help' {
            break
        }
        'mlx;man' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if mlx was started in DIR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only the data asked for and problems: no status, progress or account of success')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: info, -vv: debug)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'mlx;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make the enclosing git repository an mlx project (safe to run again)')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Track files or directories: cache their content, write PATH.mlx pointers')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show tracked data that is modified, missing or not in the cache, and stale stages')
            [CompletionResult]::new('checkout', 'checkout', [CompletionResultType]::ParameterValue, 'Make the workspace match the pointers: restore, replace and remove tracked files')
            [CompletionResult]::new('dag', 'dag', [CompletionResultType]::ParameterValue, 'Draw the pipeline: its stages in execution order and which feed which')
            [CompletionResult]::new('lineage', 'lineage', [CompletionResultType]::ParameterValue, 'Show how a file was made: the stages, runs, data and code behind it')
            [CompletionResult]::new('attest', 'attest', [CompletionResultType]::ParameterValue, 'Write signed provenance for a file or model version: an in-toto statement (SLSA v1)')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Check an attestation: its signature, then every subject and input re-hashed')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show data changes between two commits, or between a commit and the workspace')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List tracked data, or the files inside a tracked directory')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Stop tracking paths: drop their pointers and .gitignore lines, keep the data')
            [CompletionResult]::new('unprotect', 'unprotect', [CompletionResultType]::ParameterValue, 'Make tracked files that are read-only links into the cache private, writable copies')
            [CompletionResult]::new('gc', 'gc', [CompletionResultType]::ParameterValue, 'Delete cache objects that no pointer references')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Upload the data (and with --runs, run records) the remote lacks')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download the data (and with --runs, run records) the cache lacks')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Fetch, then check out: make the workspace''s data match its pointers')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Download data from another mlx repository (a data registry) without tracking it')
            [CompletionResult]::new('update', 'update', [CompletionResultType]::ParameterValue, 'Move data imported with `mlx add --from` to a newer revision of its origin')
            [CompletionResult]::new('remote', 'remote', [CompletionResultType]::ParameterValue, 'Configure remotes: where `mlx push` and `mlx fetch` send and find data')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the pipeline''s stale stages, or one command as a tracked run')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Log params, metrics, tags or artifacts to a run')
            [CompletionResult]::new('exp', 'exp', [CompletionResultType]::ParameterValue, 'Query, compare, delete and check experiments and their runs')
            [CompletionResult]::new('data', 'data', [CompletionResultType]::ParameterValue, 'Profile data files, check them against mlx.toml, and measure drift between versions')
            [CompletionResult]::new('metrics', 'metrics', [CompletionResultType]::ParameterValue, 'Show and compare the metrics files that stages declare, across commits')
            [CompletionResult]::new('params', 'params', [CompletionResultType]::ParameterValue, 'Compare the params that stages declare, across commits')
            [CompletionResult]::new('model', 'model', [CompletionResultType]::ParameterValue, 'Register model versions, assign them to stages and roll back, in git tags GTO reads')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Report metrics, params and plots against a base revision, for a pull request')
            [CompletionResult]::new('plots', 'plots', [CompletionResultType]::ParameterValue, 'Draw the plots that mlx.toml declares, and metric histories, as one HTML page')
            [CompletionResult]::new('sql', 'sql', [CompletionResultType]::ParameterValue, 'Run one read-only SQL statement over the project database')
            [CompletionResult]::new('cache', 'cache', [CompletionResultType]::ParameterValue, 'Inspect and repair the local cache')
            [CompletionResult]::new('install-hooks', 'install-hooks', [CompletionResultType]::ParameterValue, 'Install git hooks that keep data in step with commits, and the merge driver')
            [CompletionResult]::new('hook', 'hook', [CompletionResultType]::ParameterValue, 'Run the mlx step of a git hook (called by the scripts `mlx install-hooks` installs)')
            [CompletionResult]::new('ui', 'ui', [CompletionResultType]::ParameterValue, 'Browse experiments, metric curves, logs, artifacts and the pipeline in a local web app')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve MLflow''s tracking API (and the web app) for code run outside `mlx run`')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the project and its setup: git, config, cache, link types, database, remotes')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch the tracked folders so that `mlx status` need not stat every file')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a static shell completion script (commands and flags)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Bring in what another tool made: a DVC project, MLflow''s runs')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write man pages for every command into a folder')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlx;help;init' {
            break
        }
        'mlx;help;add' {
            break
        }
        'mlx;help;status' {
            break
        }
        'mlx;help;checkout' {
            break
        }
        'mlx;help;dag' {
            break
        }
        'mlx;help;lineage' {
            break
        }
        'mlx;help;attest' {
            break
        }
        'mlx;help;verify' {
            break
        }
        'mlx;help;diff' {
            break
        }
        'mlx;help;ls' {
            break
        }
        'mlx;help;rm' {
            break
        }
        'mlx;help;unprotect' {
            break
        }
        'mlx;help;gc' {
            break
        }
        'mlx;help;push' {
            break
        }
        'mlx;help;fetch' {
            break
        }
        'mlx;help;pull' {
            break
        }
        'mlx;help;get' {
            break
        }
        'mlx;help;update' {
            break
        }
        'mlx;help;remote' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a remote to mlx.toml (or, with --local, to this clone only)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List remotes: URL (passwords redacted), where each is defined, and its options')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove a remote from mlx.toml and .mlx/config.local.toml')
            [CompletionResult]::new('modify', 'modify', [CompletionResultType]::ParameterValue, 'Set or unset one option of a remote')
            [CompletionResult]::new('default', 'default', [CompletionResultType]::ParameterValue, 'Show the default remote, or set it')
            break
        }
        'mlx;help;remote;add' {
            break
        }
        'mlx;help;remote;list' {
            break
        }
        'mlx;help;remote;remove' {
            break
        }
        'mlx;help;remote;modify' {
            break
        }
        'mlx;help;remote;default' {
            break
        }
        'mlx;help;run' {
            break
        }
        'mlx;help;log' {
            [CompletionResult]::new('param', 'param', [CompletionResultType]::ParameterValue, 'Record parameters: `mlx log param lr=0.01 optimizer=adam`')
            [CompletionResult]::new('metric', 'metric', [CompletionResultType]::ParameterValue, 'Record metric values: `mlx log metric loss=0.31 acc=0.9 --step 12`')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Record tags: `mlx log tag dataset=v2`')
            [CompletionResult]::new('artifact', 'artifact', [CompletionResultType]::ParameterValue, 'Store files or directories in the cache and attach them: `mlx log artifact model.pkl`')
            break
        }
        'mlx;help;log;param' {
            break
        }
        'mlx;help;log;metric' {
            break
        }
        'mlx;help;log;tag' {
            break
        }
        'mlx;help;log;artifact' {
            break
        }
        'mlx;help;exp' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments with their params and metrics, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show an experiment (its stages, params and metrics) or one run in full')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two experiments (or runs): git state, params, latest metrics, tags and environment')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete experiments and runs with their params, metrics, tags and artifact references')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check an experiment against an expression; exit 1 when it does not hold (a CI gate)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the pipeline as a variant, in an isolated workspace (now, or later from the queue)')
            [CompletionResult]::new('queue', 'queue', [CompletionResultType]::ParameterValue, 'List, run or remove the variants queued with `mlx exp run --queue`')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Print the output a run captured, or that of each stage of an experiment')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Write a run''s artifacts, or those of an experiment''s stages, out of the cache into a folder')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Bring an experiment''s params, code and outputs into the work tree')
            [CompletionResult]::new('branch', 'branch', [CompletionResultType]::ParameterValue, 'Make a git branch holding an experiment''s result')
            break
        }
        'mlx;help;exp;list' {
            break
        }
        'mlx;help;exp;show' {
            break
        }
        'mlx;help;exp;diff' {
            break
        }
        'mlx;help;exp;rm' {
            break
        }
        'mlx;help;exp;check' {
            break
        }
        'mlx;help;exp;run' {
            break
        }
        'mlx;help;exp;queue' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the queued variants, oldest first (those being run last)')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Run the queued variants, oldest first, each in its own isolated workspace')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Remove queued variants (not yet started) by name')
            break
        }
        'mlx;help;exp;queue;list' {
            break
        }
        'mlx;help;exp;queue;start' {
            break
        }
        'mlx;help;exp;queue;remove' {
            break
        }
        'mlx;help;exp;log' {
            break
        }
        'mlx;help;exp;get' {
            break
        }
        'mlx;help;exp;apply' {
            break
        }
        'mlx;help;exp;branch' {
            break
        }
        'mlx;help;data' {
            [CompletionResult]::new('profile', 'profile', [CompletionResultType]::ParameterValue, 'Profile a data file: per column its type, counts, range, quantiles and top values')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check data files against their [checks."PATH"] tables in mlx.toml; exit 1 on a violation')
            [CompletionResult]::new('drift', 'drift', [CompletionResultType]::ParameterValue, 'Measure drift between two versions of a data file; exit 1 when a column is over a threshold')
            break
        }
        'mlx;help;data;profile' {
            break
        }
        'mlx;help;data;check' {
            break
        }
        'mlx;help;data;drift' {
            break
        }
        'mlx;help;metrics' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show the values in every declared metrics file, in the workspace or at a revision')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the declared metrics files between two commits, or a commit and the workspace')
            break
        }
        'mlx;help;metrics;show' {
            break
        }
        'mlx;help;metrics;diff' {
            break
        }
        'mlx;help;params' {
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare the params stages declare between two commits, or a commit and the workspace')
            break
        }
        'mlx;help;params;diff' {
            break
        }
        'mlx;help;model' {
            [CompletionResult]::new('register', 'register', [CompletionResultType]::ParameterValue, 'Register a version of a model: an annotated tag NAME@vX.Y.Z on a commit')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the registered models: latest version and who holds each stage')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a model''s versions and stages, or one version with its artifact, run, data and metrics')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Every registration, assignment, deregistration and deprecation of a model, newest first')
            [CompletionResult]::new('assign', 'assign', [CompletionResultType]::ParameterValue, 'Assign a version to a stage (production, staging, any name): a tag NAME#STAGE#N')
            [CompletionResult]::new('rollback', 'rollback', [CompletionResultType]::ParameterValue, 'Give a stage back to the version that held it before the current one (a new assignment tag)')
            [CompletionResult]::new('deprecate', 'deprecate', [CompletionResultType]::ParameterValue, 'Deprecate a model (NAME@deprecated), or deregister one version (NAME@vX.Y.Z!)')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Write a version''s artifact out of the cache, fetching it from the remote when missing')
            break
        }
        'mlx;help;model;register' {
            break
        }
        'mlx;help;model;list' {
            break
        }
        'mlx;help;model;show' {
            break
        }
        'mlx;help;model;history' {
            break
        }
        'mlx;help;model;assign' {
            break
        }
        'mlx;help;model;rollback' {
            break
        }
        'mlx;help;model;deprecate' {
            break
        }
        'mlx;help;model;get' {
            break
        }
        'mlx;help;report' {
            break
        }
        'mlx;help;plots' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Draw the workspace''s plots into one self-contained HTML file and print its path')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Overlay the plots of git revisions and experiments with the workspace''s')
            break
        }
        'mlx;help;plots;show' {
            break
        }
        'mlx;help;plots;diff' {
            break
        }
        'mlx;help;sql' {
            break
        }
        'mlx;help;cache' {
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Re-hash every cache object; quarantine and report corrupt ones (exit 1 if any)')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Sizes of the local cache: logical (its objects as files), stored (bytes on disk), saving')
            break
        }
        'mlx;help;cache;verify' {
            break
        }
        'mlx;help;cache;stats' {
            break
        }
        'mlx;help;install-hooks' {
            break
        }
        'mlx;help;hook' {
            break
        }
        'mlx;help;ui' {
            break
        }
        'mlx;help;serve' {
            break
        }
        'mlx;help;doctor' {
            break
        }
        'mlx;help;watch' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the watcher in the background (nothing happens when one runs)')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the watcher in the foreground until it is stopped (Ctrl-C, or `mlx watch stop`)')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the watcher')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show whether a watcher runs, what it watches and how many walks it saved')
            break
        }
        'mlx;help;watch;start' {
            break
        }
        'mlx;help;watch;run' {
            break
        }
        'mlx;help;watch;stop' {
            break
        }
        'mlx;help;watch;status' {
            break
        }
        'mlx;help;completions' {
            break
        }
        'mlx;help;import' {
            [CompletionResult]::new('dvc', 'dvc', [CompletionResultType]::ParameterValue, 'Convert the DVC project in this repository: dvc.yaml, dvc.lock, .dvc files, cache, remotes')
            [CompletionResult]::new('mlflow', 'mlflow', [CompletionResultType]::ParameterValue, 'Import the runs of an MLflow tracking store: a file store (mlruns/) or a SQLite database')
            break
        }
        'mlx;help;import;dvc' {
            break
        }
        'mlx;help;import;mlflow' {
            break
        }
        'mlx;help;man' {
            break
        }
        'mlx;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
