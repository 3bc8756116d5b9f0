// Pure: a fiscal recipe, the part of an app profile that tells Coffre where
// a register keeps its fiscal data and how it chains it: the table of chained
// records (receipts) and its sequence column, the hashed fields in order, how
// they are joined and hashed, the closings and their total columns, the
// journal of technical events. A recipe is plain, validated data, so that it
// can be declared in the config next to the rest of a profile.
//
// Amounts are integers in the currency's minor unit (cents). Dates are ISO
// 8601 text (`2026-11-19T17:42:00Z` or `2026-11-19 17:42:00`): the audit
// takes the day as the first 10 characters, as stored.

import { z } from 'zod';
import { CoffreError } from '../errors.js';
import { LINES, PREVIOUS, type ChainFormat } from './chain.js';

const identifier = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a table or column name: letters, digits and _');

/** How one chain is hashed, and where its hash and previous hash are stored. */
export const chainRecipeSchema = z
  .object({
    /** Hashed parts in order: column names, "@previous" for the previous hash, "@lines" for child rows. */
    fields: z
      .array(z.union([identifier, z.literal(PREVIOUS), z.literal(LINES)]))
      .min(2)
      .refine((f) => f.includes(PREVIOUS), 'the fields must include "@previous"'),
    /** "json": a JSON array of the parts; or { separator: "|" }: the parts as text joined by it. */
    join: z.union([z.literal('json'), z.object({ separator: z.string().min(1) }).strict()]),
    algorithm: z.enum(['sha256', 'sha384', 'sha512']).default('sha256'),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    /** What the first record's previous hash is. */
    genesis: z.string(),
    hashColumn: identifier,
    previousColumn: identifier,
  })
  .strict();

const chainedTable = {
  table: identifier,
  /** The record number: 1, 2, 3... with no gap. */
  sequence: identifier,
  /** When the record was made (ISO text). */
  date: identifier,
  chain: chainRecipeSchema,
};

export const fiscalRecipeSchema = z
  .object({
    /** The chained sales records (receipts, tickets). */
    records: z
      .object({
        ...chainedTable,
        /** The row key that lines and payments point to. */
        key: identifier.default('id'),
        /** What the record is called, singular and plural: "receipt", "receipts". */
        label: z.tuple([z.string().min(1), z.string().min(1)]).default(['receipt', 'receipts']),
        /** The total including VAT. */
        amount: identifier,
        /** The VAT included in the total. */
        vat: identifier.optional(),
        /** Child rows hashed with their record ("@lines" in the fields), with their VAT split. */
        lines: z
          .object({
            table: identifier,
            foreignKey: identifier,
            orderBy: identifier,
            fields: z.array(identifier).min(1),
            vatRate: identifier.optional(),
            amount: identifier.optional(),
          })
          .strict()
          .optional(),
        payments: z
          .object({
            table: identifier,
            foreignKey: identifier,
            method: identifier,
            amount: identifier,
          })
          .strict()
          .optional(),
      })
      .strict(),
    /** Daily (Z), monthly and yearly closings. */
    closings: z
      .object({
        ...chainedTable,
        /** The column telling a day from a month or a year closing, and its values; none: every closing is a day's. */
        kind: z
          .object({
            column: identifier,
            day: z.string().min(1),
            month: z.string().min(1),
            year: z.string().min(1),
          })
          .strict()
          .optional(),
        /** The period closed: 2026-11-19, 2026-11 or 2026. */
        period: identifier,
        total: identifier,
        count: identifier.optional(),
        vat: identifier.optional(),
        /** JSON objects: VAT rate -> total, payment method -> total. */
        byVat: identifier.optional(),
        byMethod: identifier.optional(),
        /** The perpetual grand total after this closing. */
        grandTotal: identifier.optional(),
      })
      .strict()
      .optional(),
    /** The journal of technical events (sign-in, void, reprint, closing, update). */
    events: z
      .object({
        ...chainedTable,
        kind: identifier,
      })
      .strict()
      .optional(),
    /** The currency of the amounts (ISO 4217; amounts are in its minor unit), for the shop's words. */
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code, e.g. "EUR"')
      .default('EUR'),
    /** The register's locale (BCP 47), for amounts and dates in the shop's words. */
    locale: z
      .string()
      .refine((l) => {
        try {
          return Intl.NumberFormat.supportedLocalesOf([l]).length === 1;
        } catch {
          return false;
        }
      }, 'a locale, e.g. "fr-FR"')
      .default('fr-FR'),
  })
  .strict();

export type FiscalRecipe = z.infer<typeof fiscalRecipeSchema>;
export type FiscalRecipeInput = z.input<typeof fiscalRecipeSchema>;
export type ChainRecipe = z.infer<typeof chainRecipeSchema>;

/** Validates a declared recipe; throws CONFIG_INVALID with `path: message` lines. */
export function parseFiscalRecipe(value: unknown, where = 'fiscal'): FiscalRecipe {
  const parsed = fiscalRecipeSchema.safeParse(value);
  if (parsed.success) {
    const lines = parsed.data.records.lines;
    if (parsed.data.records.chain.fields.includes(LINES) && lines === undefined) {
      throw new CoffreError(
        'CONFIG_INVALID',
        `${where}.records.chain.fields: "@lines" needs records.lines.`,
      );
    }
    return parsed.data;
  }
  const errors = parsed.error.issues.map(
    (i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`,
  );
  throw new CoffreError('CONFIG_INVALID', `The fiscal recipe is invalid: ${errors.join('; ')}.`, {
    details: { errors },
  });
}

/** The chain format a checker needs, from a chain recipe. */
export function chainFormat(recipe: ChainRecipe): ChainFormat {
  return {
    fields: recipe.fields,
    join: recipe.join === 'json' ? { kind: 'json' } : { kind: 'separator', ...recipe.join },
    algorithm: recipe.algorithm,
    encoding: recipe.encoding,
    genesis: recipe.genesis,
  };
}
