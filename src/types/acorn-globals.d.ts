// acorn-globals ships no types; only the call we use is declared.
declare module 'acorn-globals' {
  import type { Node, Program } from 'acorn';

  /** One undeclared name and every node that refers to it. */
  interface FoundGlobal {
    name: string;
    nodes: Node[];
  }

  /** Undeclared identifiers of a program; marks each scope node with its `locals`. */
  export default function findGlobals(source: string | Program, options?: object): FoundGlobal[];
}
