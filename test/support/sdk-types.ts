// Reads the installed vendor SDKs' type declarations with the TypeScript compiler (a dev
// dependency), so a test can compare the model catalog with what the SDKs actually type: union
// members, literal types of a property, the keys of a mapped type. The compiler rather than regular
// expressions, because doc comments in the same files carry examples that look like declarations.
import ts from 'typescript';

export class SdkTypes {
  private readonly program: ts.Program;
  readonly checker: ts.TypeChecker;

  constructor(files: string[]) {
    this.program = ts.createProgram(files, {
      noEmit: true,
      skipLibCheck: true,
      types: [],
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    });
    this.checker = this.program.getTypeChecker();
  }

  /** The type of an exported type alias or interface of a file. */
  exported(file: string, name: string): ts.Type {
    const source = this.program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not part of the program`);
    const moduleSymbol = this.checker.getSymbolAtLocation(source);
    const symbol = moduleSymbol && this.checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
    if (!symbol) throw new Error(`${file} exports no ${name}`);
    return this.checker.getDeclaredTypeOfSymbol(symbol);
  }

  /** The members of a union (the type itself when it is not one). */
  members(type: ts.Type): ts.Type[] {
    return type.isUnion() ? type.types : [type];
  }

  /** The type of a property, without `undefined` (optional properties). */
  property(type: ts.Type, name: string): ts.Type | undefined {
    const symbol = type.getProperty(name);
    if (!symbol) return undefined;
    const declared = this.checker.getTypeOfSymbol(symbol);
    return this.checker.getNonNullableType(declared);
  }

  /** Property names of an object type (an interface's fields, a mapped type's keys). */
  propertyNames(type: ts.Type): string[] {
    return type.getProperties().map((p) => p.name);
  }

  /**
   * The literal values a type allows: every member of a union of string or number literals, or
   * null when some member is not a literal (e.g. `number`, `string`).
   */
  literals(type: ts.Type): (string | number)[] | null {
    const out: (string | number)[] = [];
    for (const member of this.members(type)) {
      if (member.isStringLiteral() || member.isNumberLiteral()) out.push(member.value);
      else return null;
    }
    return out;
  }

  /** The element type of an array type, or undefined. */
  arrayElement(type: ts.Type): ts.Type | undefined {
    return this.checker.isArrayType(type) ? this.checker.getTypeArguments(type as ts.TypeReference)[0] : undefined;
  }
}
