// A bad flag, subcommand or argument: the command prints the message without a stack and exits 2.
export class UsageError extends Error {}
