// The public sanitize API; the rule compiler and the walk behind it stay internal.
export { RedactionPatternError, type RedactionRule } from "./redaction-rule";
export { DEFAULT_REPLACEMENT, Redactor, SANITIZED_METHODS, type RedactedCall } from "./redactor";
export { MAX_REDACTION_DEPTH, type ResultRedactor } from "./value-redactor";
