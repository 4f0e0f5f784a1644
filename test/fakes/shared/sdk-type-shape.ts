// Reads the request types of a vendor's official SDK from its declaration files (.d.ts) and checks a
// JSON body against one of them, so a fake accepts exactly what the SDK's types allow and no more:
// required fields present, literal unions ('1280:720' | '720:1280', "5" | "10"), arrays, nested
// objects, and no key the type does not name. The fakes take the shapes from the installed SDK, not
// from ttv's catalog, so a client bug and a fake bug cannot agree with each other.
// Hand-written on purpose: the TypeScript compiler parses the file (syntax only, no type checker,
// which would need a whole program), and no JSON-schema generator reads .d.ts files without a
// build step; the handful of type forms SDK request types use are resolved here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';

export type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'null' | 'unknown' | 'not-json' }
  | { kind: 'literal'; value: string | number | boolean }
  | { kind: 'array'; of: Shape }
  | { kind: 'union'; of: Shape[] }
  | { kind: 'object'; props: Map<string, { optional: boolean; shape: Shape }>; values?: Shape };

/** One problem with a body: where (a dotted path) and what. */
export interface ShapeIssue {
  path: string;
  message: string;
}

type Declaration = ts.InterfaceDeclaration | ts.TypeAliasDeclaration;

/** The declarations of one namespace (or of the file itself), and the namespaces nested in it. */
interface Scope {
  parent: Scope | null;
  types: Map<string, Declaration>;
  namespaces: Map<string, Scope>;
}

const require = createRequire(import.meta.url);

/** A parsed declaration file of an installed package, and the shapes resolved from it so far. */
export class DeclarationFile {
  private readonly root: Scope;
  private readonly scopeOf = new Map<ts.Node, Scope>();
  private readonly resolved = new Map<Declaration, Shape>();

  /** A file of an installed package: ('@runwayml/sdk', 'resources/text-to-video.d.ts'). */
  static ofPackage(name: string, file: string): DeclarationFile {
    // Found from the package's entry point: its `exports` map hides the .d.ts paths from resolve().
    let dir = dirname(require.resolve(name));
    while (
      !existsSync(join(dir, 'package.json')) ||
      (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== name
    ) {
      const up = dirname(dir);
      if (up === dir) throw new Error(`package ${name} not found`);
      dir = up;
    }
    return new DeclarationFile(join(dir, file));
  }

  constructor(path: string) {
    const source = ts.createSourceFile(
      path,
      readFileSync(path, 'utf8'),
      ts.ScriptTarget.Latest,
      false,
      ts.ScriptKind.TS,
    );
    this.root = this.scope(source.statements, null);
  }

  private scope(statements: ts.NodeArray<ts.Statement>, parent: Scope | null): Scope {
    const scope: Scope = { parent, types: new Map(), namespaces: new Map() };
    for (const statement of statements) {
      if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
        // An interface merges with a namespace of the same name: both are kept, in their own maps.
        scope.types.set(statement.name.text, statement);
        this.scopeOf.set(statement, scope);
      } else if (ts.isModuleDeclaration(statement) && statement.body && ts.isModuleBlock(statement.body)) {
        scope.namespaces.set(statement.name.text, this.scope(statement.body.statements, scope));
      }
    }
    return scope;
  }

  /** The shape of a top-level or namespaced type: 'KlingVideoV3ProImageToVideoInput', 'TextToVideoCreateParams'. */
  type(name: string): Shape {
    const declaration = this.lookup(name.split('.'), this.root);
    if (!declaration) throw new Error(`no type ${name} in the declaration file`);
    return this.declarationShape(declaration);
  }

  /**
   * The shape of one property of a type, found without resolving the rest of it (fal's
   * EndpointTypeMap has over a thousand members): ('EndpointTypeMap', 'fal-ai/veo3.1', 'input').
   * Undefined when the type has no such property.
   */
  property(typeName: string, ...keys: string[]): Shape | undefined {
    const declaration = this.lookup(typeName.split('.'), this.root);
    if (!declaration) throw new Error(`no type ${typeName} in the declaration file`);
    const scope = this.scopeOf.get(declaration)!;
    let members: ts.NodeArray<ts.TypeElement> | undefined = ts.isInterfaceDeclaration(declaration)
      ? declaration.members
      : ts.isTypeLiteralNode(declaration.type)
        ? declaration.type.members
        : undefined;
    let node: ts.TypeNode | undefined;
    for (const key of keys) {
      const member = members?.find(
        (m): m is ts.PropertySignature =>
          ts.isPropertySignature(m) && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name)) && m.name.text === key,
      );
      node = member?.type;
      if (!node) return undefined;
      members = ts.isTypeLiteralNode(node) ? node.members : undefined;
    }
    return node ? this.shape(node, scope) : undefined;
  }

  /** Whether the file declares a type of that name. */
  has(name: string): boolean {
    return this.lookup(name.split('.'), this.root) !== undefined;
  }

  private lookup(parts: string[], from: Scope): Declaration | undefined {
    for (let scope: Scope | null = from; scope; scope = scope.parent) {
      let target: Scope | undefined = scope;
      for (const part of parts.slice(0, -1)) target = target?.namespaces.get(part);
      const found = target?.types.get(parts[parts.length - 1]!);
      if (found) return found;
    }
    return undefined;
  }

  private declarationShape(declaration: Declaration): Shape {
    const known = this.resolved.get(declaration);
    if (known) return known;
    const scope = this.scopeOf.get(declaration)!;
    if (ts.isTypeAliasDeclaration(declaration)) {
      // Filled in place, so a type that refers to itself resolves to the same object.
      const shape = { kind: 'union', of: [] } as Shape & { kind: 'union' };
      this.resolved.set(declaration, shape);
      const inner = this.shape(declaration.type, scope);
      Object.assign(shape, inner);
      if (inner.kind !== 'union') delete (shape as { of?: unknown }).of;
      return shape;
    }
    const shape: Shape & { kind: 'object' } = { kind: 'object', props: new Map() };
    this.resolved.set(declaration, shape);
    for (const clause of declaration.heritageClauses ?? []) {
      for (const base of clause.types) {
        const parent = ts.isIdentifier(base.expression) ? this.lookup([base.expression.text], scope) : undefined;
        const inherited = parent ? this.declarationShape(parent) : undefined;
        if (inherited?.kind === 'object') for (const [k, v] of inherited.props) shape.props.set(k, v);
      }
    }
    this.members(declaration.members, scope, shape);
    return shape;
  }

  private members(members: ts.NodeArray<ts.TypeElement>, scope: Scope, into: Shape & { kind: 'object' }): void {
    for (const member of members) {
      if (ts.isPropertySignature(member) && member.type) {
        if (!ts.isIdentifier(member.name) && !ts.isStringLiteral(member.name)) continue;
        const name = member.name.text;
        into.props.set(name, { optional: member.questionToken !== undefined, shape: this.shape(member.type, scope) });
      } else if (ts.isIndexSignatureDeclaration(member) && member.type) {
        into.values = this.shape(member.type, scope);
      }
    }
  }

  private shape(node: ts.TypeNode, scope: Scope): Shape {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { kind: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return { kind: 'number' };
      case ts.SyntaxKind.BooleanKeyword:
        return { kind: 'boolean' };
      case ts.SyntaxKind.NullKeyword:
        return { kind: 'null' };
      case ts.SyntaxKind.UnknownKeyword:
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.ObjectKeyword:
        return { kind: 'unknown' };
      default:
        break;
    }
    if (ts.isParenthesizedTypeNode(node)) return this.shape(node.type, scope);
    if (ts.isLiteralTypeNode(node)) {
      const literal = node.literal;
      if (ts.isStringLiteral(literal)) return { kind: 'literal', value: literal.text };
      if (ts.isNumericLiteral(literal)) return { kind: 'literal', value: Number(literal.text) };
      if (ts.isPrefixUnaryExpression(literal) && ts.isNumericLiteral(literal.operand))
        return { kind: 'literal', value: -Number(literal.operand.text) };
      if (literal.kind === ts.SyntaxKind.TrueKeyword) return { kind: 'literal', value: true };
      if (literal.kind === ts.SyntaxKind.FalseKeyword) return { kind: 'literal', value: false };
      if (literal.kind === ts.SyntaxKind.NullKeyword) return { kind: 'null' };
    }
    if (ts.isUnionTypeNode(node)) return { kind: 'union', of: node.types.map((t) => this.shape(t, scope)) };
    if (ts.isArrayTypeNode(node)) return { kind: 'array', of: this.shape(node.elementType, scope) };
    if (ts.isTypeLiteralNode(node)) {
      const shape: Shape & { kind: 'object' } = { kind: 'object', props: new Map() };
      this.members(node.members, scope, shape);
      return shape;
    }
    if (ts.isIntersectionTypeNode(node)) {
      const shape: Shape & { kind: 'object' } = { kind: 'object', props: new Map() };
      for (const part of node.types.map((t) => this.shape(t, scope))) {
        if (part.kind === 'object') for (const [k, v] of part.props) shape.props.set(k, v);
      }
      return shape;
    }
    if (ts.isTypeReferenceNode(node)) {
      const parts = entityName(node.typeName);
      const args = node.typeArguments ?? [];
      if (parts.length === 1) {
        const name = parts[0]!;
        if (name === 'Array' || name === 'ReadonlyArray')
          return { kind: 'array', of: args[0] ? this.shape(args[0], scope) : { kind: 'unknown' } };
        if (name === 'Record' && args[1])
          return { kind: 'object', props: new Map(), values: this.shape(args[1], scope) };
        // Browser-side upload types: the client uploads them and sends a URL, so no JSON value is one.
        if (name === 'Blob' || name === 'File' || name === 'Uint8Array' || name === 'ArrayBuffer')
          return { kind: 'not-json' };
      }
      const declaration = this.lookup(parts, scope);
      if (declaration) return this.declarationShape(declaration);
      return { kind: 'unknown' };
    }
    return { kind: 'unknown' };
  }
}

function entityName(name: ts.EntityName): string[] {
  return ts.isIdentifier(name) ? [name.text] : [...entityName(name.left), name.right.text];
}

/** The members of a union type (a discriminated request union), or the type itself. */
export function unionMembers(shape: Shape): Shape[] {
  return shape.kind === 'union' ? shape.of.flatMap(unionMembers) : [shape];
}

/** The literal values a shape allows, where it is a literal or a union of literals. */
export function literalValues(shape: Shape): (string | number | boolean)[] {
  return unionMembers(shape).flatMap((s) => (s.kind === 'literal' ? [s.value] : []));
}

function describe(shape: Shape): string {
  switch (shape.kind) {
    case 'literal':
      return JSON.stringify(shape.value);
    case 'array':
      return `array of ${describe(shape.of)}`;
    case 'union':
      return unionMembers(shape).map(describe).join(' | ');
    case 'object':
      return 'object';
    case 'not-json':
      return 'upload';
    default:
      return shape.kind;
  }
}

/** Problems of `value` against `shape`; empty when the value is one the type allows. */
export function shapeIssues(value: unknown, shape: Shape, path = ''): ShapeIssue[] {
  const at = (message: string): ShapeIssue[] => [{ path: path || '(body)', message }];
  switch (shape.kind) {
    case 'unknown':
      return [];
    case 'not-json':
      return at('expected a URL, not this value');
    case 'string':
      return typeof value === 'string' ? [] : at(`expected string, received ${kindOf(value)}`);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? []
        : at(`expected number, received ${kindOf(value)}`);
    case 'boolean':
      return typeof value === 'boolean' ? [] : at(`expected boolean, received ${kindOf(value)}`);
    case 'null':
      return value === null ? [] : at(`expected null, received ${kindOf(value)}`);
    case 'literal':
      return value === shape.value
        ? []
        : at(`Invalid value. Expected ${JSON.stringify(shape.value)}, received ${JSON.stringify(value)}`);
    case 'array': {
      if (!Array.isArray(value)) return at(`expected array, received ${kindOf(value)}`);
      return value.flatMap((item, i) => shapeIssues(item, shape.of, `${path}[${i}]`));
    }
    case 'union': {
      const members = unionMembers(shape);
      const attempts = members.map((m) => shapeIssues(value, m, path));
      if (attempts.some((a) => a.length === 0)) return [];
      const literals = members.filter((m) => m.kind === 'literal');
      if (literals.length === members.length)
        return at(
          `Invalid enum value. Expected ${members.map(describe).join(' | ')}, received ${JSON.stringify(value)}`,
        );
      // An array or object is told what is wrong inside the member of its own kind that fits best.
      const kind = Array.isArray(value) ? 'array' : typeof value === 'object' && value !== null ? 'object' : null;
      const sameKind = attempts.filter((_, i) => members[i]!.kind === kind);
      if (sameKind.length) return sameKind.reduce((a, b) => (b.length < a.length ? b : a));
      return at(`Invalid input. Expected ${members.map(describe).join(' | ')}, received ${JSON.stringify(value)}`);
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return at(`expected object, received ${kindOf(value)}`);
      const record = value as Record<string, unknown>;
      const issues: ShapeIssue[] = [];
      for (const [key, prop] of shape.props) {
        const child = path ? `${path}.${key}` : key;
        if (record[key] === undefined) {
          if (!prop.optional) issues.push({ path: child, message: 'Required' });
        } else {
          issues.push(...shapeIssues(record[key], prop.shape, child));
        }
      }
      for (const key of Object.keys(record)) {
        if (shape.props.has(key)) continue;
        if (shape.values) issues.push(...shapeIssues(record[key], shape.values, path ? `${path}.${key}` : key));
        else issues.push({ path: path || '(body)', message: `Unrecognized key: '${key}'` });
      }
      return issues;
    }
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
