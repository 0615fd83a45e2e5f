import type { JSX } from "preact";
import { initialValue, ownField, schemaType, withField, type JsonSchema } from "./json-schema";

interface FieldProps {
  /** Unique id prefix: inputs get ids derived from it, labels point at them. */
  id: string;
  label: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
}

function Description({ id, schema }: { id: string; schema: JsonSchema }) {
  return schema.description ? (
    <p class="hint" id={`${id}-hint`}>
      {schema.description}
    </p>
  ) : null;
}

function labelText(label: string, required: boolean): string {
  return required ? `${label} (required)` : label;
}

function NumberField({ id, label, schema, required, value, onChange, integer }: FieldProps & { integer: boolean }) {
  const onInput = (event: JSX.TargetedEvent<HTMLInputElement>) => {
    const text = event.currentTarget.value;
    onChange(text === "" ? undefined : Number(text));
  };
  return (
    <div class="field">
      <label for={id}>{labelText(label, required)}</label>
      <input
        id={id}
        type="number"
        // Without a step the browser allows whole numbers only: "any" for JSON numbers, 1 for integers.
        step={integer ? 1 : "any"}
        required={required}
        value={typeof value === "number" ? String(value) : ""}
        min={schema.minimum}
        max={schema.maximum}
        aria-describedby={schema.description ? `${id}-hint` : undefined}
        onInput={onInput}
      />
      <Description id={id} schema={schema} />
    </div>
  );
}

function EnumField({ id, label, schema, required, value, onChange }: FieldProps) {
  const options = schema.enum ?? [];
  const index = options.findIndex((option) => option === value);
  return (
    <div class="field">
      <label for={id}>{labelText(label, required)}</label>
      <select
        id={id}
        required={required}
        value={index < 0 ? "" : String(index)}
        aria-describedby={schema.description ? `${id}-hint` : undefined}
        onChange={(event) => {
          const chosen = event.currentTarget.value;
          onChange(chosen === "" ? undefined : options[Number(chosen)]);
        }}
      >
        <option value="">(none)</option>
        {options.map((option, i) => (
          <option key={i} value={String(i)}>
            {typeof option === "string" ? option : JSON.stringify(option)}
          </option>
        ))}
      </select>
      <Description id={id} schema={schema} />
    </div>
  );
}

function BooleanField({ id, label, schema, value, onChange }: FieldProps) {
  return (
    <div class="field checkbox">
      <input
        id={id}
        type="checkbox"
        checked={value === true}
        aria-describedby={schema.description ? `${id}-hint` : undefined}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      <Description id={id} schema={schema} />
    </div>
  );
}

function TextField({ id, label, schema, required, value, onChange }: FieldProps) {
  return (
    <div class="field">
      <label for={id}>{labelText(label, required)}</label>
      <input
        id={id}
        type="text"
        required={required}
        value={typeof value === "string" ? value : ""}
        aria-describedby={schema.description ? `${id}-hint` : undefined}
        onInput={(event) => {
          const text = event.currentTarget.value;
          onChange(text === "" && !required ? undefined : text);
        }}
      />
      <Description id={id} schema={schema} />
    </div>
  );
}

function ArrayField({ id, label, schema, required, value, onChange }: FieldProps) {
  const items = Array.isArray(value) ? value : [];
  const itemSchema = schema.items ?? {};
  const set = (index: number, item: unknown) => onChange(items.map((old, i) => (i === index ? item : old)));
  return (
    <fieldset class="array">
      <legend>{labelText(label, required)}</legend>
      <Description id={id} schema={schema} />
      {items.map((item, index) => (
        <div class="array-item" key={index}>
          <SchemaField
            id={`${id}-${index}`}
            label={`${label} item ${index + 1}`}
            schema={itemSchema}
            required={false}
            value={item}
            onChange={(next) => set(index, next)}
          />
          <button type="button" onClick={() => onChange(items.filter((_, i) => i !== index))}>
            Remove {label} item {index + 1}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...items, initialValue(itemSchema)])}>
        Add {label} item
      </button>
    </fieldset>
  );
}

function ObjectField({ id, label, schema, required, value, onChange }: FieldProps) {
  return (
    <fieldset class="object">
      <legend>{labelText(label, required)}</legend>
      <Description id={id} schema={schema} />
      <ObjectFields id={id} schema={schema} value={value} onChange={onChange} />
    </fieldset>
  );
}

/** The fields of an object schema, one per property. */
export function ObjectFields(props: {
  id: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (v: unknown) => void;
}) {
  const { id, schema, value, onChange } = props;
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, property]) => (
        <SchemaField
          key={name}
          id={`${id}-${name}`}
          label={property.title ?? name}
          schema={property}
          required={(schema.required ?? []).includes(name)}
          value={ownField(value, name)}
          onChange={(field) => onChange(withField(value, name, field))}
        />
      ))}
    </>
  );
}

function RawField({ id, label, schema, required, value, onChange }: FieldProps) {
  return (
    <div class="field">
      <label for={id}>{labelText(label, required)} (JSON)</label>
      <input
        id={id}
        type="text"
        value={value === undefined ? "" : JSON.stringify(value)}
        onChange={(event) => {
          try {
            onChange(event.currentTarget.value === "" ? undefined : JSON.parse(event.currentTarget.value));
          } catch {
            // Left as typed; the raw JSON editor shows the whole value.
          }
        }}
      />
      <Description id={id} schema={schema} />
    </div>
  );
}

/** One input (or fieldset) for a schema: text, number, enum, boolean, nested object or array. */
export function SchemaField(props: FieldProps) {
  const type = schemaType(props.schema);
  if (props.schema.enum) return <EnumField {...props} />;
  switch (type) {
    case "string":
      return <TextField {...props} />;
    case "number":
      return <NumberField {...props} integer={false} />;
    case "integer":
      return <NumberField {...props} integer={true} />;
    case "boolean":
      return <BooleanField {...props} />;
    case "object":
      return <ObjectField {...props} />;
    case "array":
      return <ArrayField {...props} />;
    default:
      return <RawField {...props} />;
  }
}
