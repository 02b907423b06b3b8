"""The grammar of the RPC language (RFC 5531 section 12, over RFC 4506 section 6) for lark.

Kept as a Python string rather than a ``.lark`` file so that it ships without package data. It is
the RFCs' grammar with rpcgen's accepted extensions: ``unsigned`` alone, ``long``/``short``/``char``
(32-bit on the wire, as rpcgen's ``xdr_long`` and friends write them), ``struct NAME`` /
``enum NAME`` / ``union NAME`` as type references, string constants, negative numbers, ``string``
and ``T *`` as procedure arguments and results, and several arguments (``rpcgen -N``). The C
preprocessor has already run; lines starting with ``%`` or ``#`` are removed before this grammar
sees the text (see :mod:`distlab.oncrpc.idl.preprocess`).
"""

from __future__ import annotations

__all__ = ["GRAMMAR"]

GRAMMAR = r"""
start: definition*

?definition: const_def | typedef_def | enum_def | struct_def | union_def | program_def

const_def: "const" NAME "=" (value | STRING) ";"
typedef_def: "typedef" declaration ";"
enum_def: "enum" NAME enum_body ";"
struct_def: "struct" NAME struct_body ";"
union_def: "union" NAME union_body ";"

enum_body: "{" enum_member ("," enum_member)* "}"
enum_member: NAME ["=" value]
struct_body: "{" (declaration ";")+ "}"
union_body: "switch" "(" declaration ")" "{" case_arm+ [default_arm] "}"
case_arm: case_label+ declaration ";"
case_label: "case" value ":"
default_arm: "default" ":" declaration ";"

declaration: type_specifier NAME                    -> decl_plain
    | type_specifier NAME "[" value "]"             -> decl_fixed
    | type_specifier NAME "<" [value] ">"           -> decl_var
    | opaque NAME "[" value "]"                     -> decl_fixed
    | opaque NAME "<" [value] ">"                   -> decl_var
    | string NAME "<" [value] ">"                   -> decl_var
    | string NAME "[" value "]"                     -> decl_fixed
    | type_specifier "*" NAME                       -> decl_optional
    | "void"                                        -> decl_void

opaque: "opaque"
string: "string"

?type_specifier: "int"                              -> t_int
    | "unsigned" "int"                              -> t_uint
    | "unsigned"                                    -> t_uint
    | "long"                                        -> t_int
    | "unsigned" "long"                             -> t_uint
    | "short"                                       -> t_int
    | "unsigned" "short"                            -> t_uint
    | "char"                                        -> t_int
    | "unsigned" "char"                             -> t_uint
    | "hyper"                                       -> t_hyper
    | "unsigned" "hyper"                            -> t_uhyper
    | "float"                                       -> t_float
    | "double"                                      -> t_double
    | "quadruple"                                   -> t_quadruple
    | "bool"                                        -> t_bool
    | NAME                                          -> t_named
    | "struct" NAME                                 -> t_named
    | "union" NAME                                  -> t_named
    | "enum" NAME                                   -> t_named
    | "enum" enum_body                              -> t_enum
    | "struct" struct_body                          -> t_struct
    | "union" union_body                            -> t_union

program_def: "program" NAME "{" version_def+ "}" "=" value ";"
version_def: "version" NAME "{" procedure_def+ "}" "=" value ";"
procedure_def: proc_type NAME "(" proc_type ("," proc_type)* ")" "=" value ";"

proc_type: type_specifier                           -> p_plain
    | type_specifier "*"                            -> p_optional
    | string ["<" [value] ">"]                      -> p_string
    | "void"                                        -> p_void

value: NUMBER | NAME

NAME: /[A-Za-z_][A-Za-z0-9_]*/
NUMBER: /-?(0[xX][0-9a-fA-F]+|[0-9]+)/
STRING: /"([^"\\\n]|\\.)*"/

%import common.WS
%ignore WS
%ignore /\/\*(.|\n)*?\*\//
%ignore /\/\/[^\n]*/
"""
