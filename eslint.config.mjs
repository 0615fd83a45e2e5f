// The lint rules are the real style rules (see ../shared/STYLE.md): typescript-eslint's type-aware recommended set.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// `Record<string, …>`: the type of a table whose keys nobody fixed in advance.
const STRING_RECORD = "TSTypeReference[typeName.name='Record'][typeArguments.params.0.type='TSStringKeyword']";

export default tseslint.config(
  { ignores: ["**/dist/**", "**/gen/**", "**/node_modules/**", "coverage/**", ".tools/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts", "**/*.tsx"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/only-throw-error": "off",
      "no-throw-literal": "error",
      "max-lines": ["error", { max: 400, skipBlankLines: true, skipComments: true }],
      "max-lines-per-function": ["warn", { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Lookups keyed by client or config data must be own-key lookups (see core/src/own-keys.ts): an object literal
    // inherits `constructor`, `toString`, `__proto__` … from Object.prototype, and `key in record` finds them too.
    files: ["**/src/**/*.ts", "**/src/**/*.tsx"],
    ignores: ["**/*.test.ts", "test/**", "**/testing/**"],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...[
          "VariableDeclarator[init.type='ObjectExpression'] > Identifier.id > TSTypeAnnotation",
          "PropertyDefinition[value.type='ObjectExpression'] > TSTypeAnnotation",
        ].flatMap((owner) =>
          [
            STRING_RECORD,
            `TSTypeReference[typeName.name='Readonly'] > TSTypeParameterInstantiation > ${STRING_RECORD}`,
          ].map((record) => ({
            selector: `${owner} > ${record}`,
            message:
              "A string-keyed record built from an object literal inherits Object.prototype: use a Map, lookupTable({...}) or nullRecord() (core/src/own-keys.ts).",
          })),
        ),
        {
          selector: "BinaryExpression[operator='in'][left.type!='Literal']",
          message:
            "`key in record` also finds inherited members (constructor, toString): use Object.hasOwn(record, key).",
        },
      ],
    },
  },
  {
    files: ["**/*.test.ts", "test/src/**/*.ts"],
    rules: { "max-lines-per-function": "off" },
  },
  {
    files: ["scripts/**/*.mjs", "*.mjs", "*.js"],
    languageOptions: { globals: { console: "readonly", process: "readonly", module: "writable", require: "readonly" } },
  },
);
