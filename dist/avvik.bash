# bash completion for avvik(1)
_avvik()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	case $prev in
	--config|--db|-o|--path|--rules-dir|--seed|--dir)
		COMPREPLY=($(compgen -f -- "$cur"))
		return;;
	--format)
		COMPREPLY=($(compgen -W "auto msghead avvik-xml eml mbox maildir text md csv json html jsonl" -- "$cur"))
		return;;
	esac
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--config|--db) ((i++));;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--config --db --quiet --verbose --version --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "init ingest classify run report export rules show explain override config backup help" -- "$cur"))
		fi
		return
	fi
	case $cmd in
	init) COMPREPLY=($(compgen -W "--rules-dir --seed" -- "$cur"));;
	ingest) COMPREPLY=($(compgen -W "--jobs --dry-run --rescan --path --format" -- "$cur"));;
	classify) COMPREPLY=($(compgen -W "--rev --all --jobs" -- "$cur"));;
	run) COMPREPLY=($(compgen -W "--jobs --dry-run --rescan" -- "$cur"));;
	report) COMPREPLY=($(compgen -W "compare trend summary --format --lang --locale -o --from --to --by --category --direction --org --period --vs --fsu --top" -- "$cur"));;
	export) COMPREPLY=($(compgen -W "--format --period -o" -- "$cur"));;
	rules) COMPREPLY=($(compgen -W "check test list log diff eval pull --rev --worktree --dir --format" -- "$cur"));;
	config) COMPREPLY=($(compgen -W "check" -- "$cur"));;
	backup) COMPREPLY=($(compgen -f -- "$cur"));;
	help) COMPREPLY=($(compgen -W "init ingest classify run report export rules show explain override config backup" -- "$cur"));;
	esac
}
complete -F _avvik avvik
