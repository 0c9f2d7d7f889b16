import { describe, expect, it } from 'vitest'
import { viewColumnOrigins } from './view-columns'

/** The `_RETURN` rule of `create view v as select a.id, a."we(ird" as "al}ias", a.id + 1 as expr from a`
 * (PostgreSQL 15), with the base table's oid set to 16400. */
const ACTION =
  '({QUERY :commandType 1 :querySource 0 :canSetTag true :utilityStmt <> :resultRelation 0 :hasAggs false :hasWindowFuncs false :hasTargetSRFs false :hasSubLinks false :hasDistinctOn false :hasRecursive false :hasModifyingCTE false :hasForUpdate false :hasRowSecurity false :isReturn false :cteList <> :rtable ({RANGETBLENTRY :alias {ALIAS :aliasname old :colnames <>} :eref {ALIAS :aliasname old :colnames ("id" "al\\}ias" "expr")} :rtekind 0 :relid 16410 :relkind v :rellockmode 1 :tablesample <> :lateral false :inh false :inFromCl false :requiredPerms 0 :checkAsUser 0 :selectedCols (b) :insertedCols (b) :updatedCols (b) :extraUpdatedCols (b) :securityQuals <>} {RANGETBLENTRY :alias {ALIAS :aliasname new :colnames <>} :eref {ALIAS :aliasname new :colnames ("id" "al\\}ias" "expr")} :rtekind 0 :relid 16410 :relkind v :rellockmode 1 :tablesample <> :lateral false :inh false :inFromCl false :requiredPerms 0 :checkAsUser 0 :selectedCols (b) :insertedCols (b) :updatedCols (b) :extraUpdatedCols (b) :securityQuals <>} {RANGETBLENTRY :alias {ALIAS :aliasname a :colnames <>} :eref {ALIAS :aliasname a :colnames ("id" "we\\(ird")} :rtekind 0 :relid 16400 :relkind r :rellockmode 1 :tablesample <> :lateral false :inh true :inFromCl true :requiredPerms 2 :checkAsUser 0 :selectedCols (b 8 9) :insertedCols (b) :updatedCols (b) :extraUpdatedCols (b) :securityQuals <>}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 3}) :quals <>} :targetList ({TARGETENTRY :expr {VAR :varno 3 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 3 :varattnosyn 1 :location 92} :resno 1 :resname id :ressortgroupref 0 :resorigtbl 16400 :resorigcol 1 :resjunk false} {TARGETENTRY :expr {VAR :varno 3 :varattno 2 :vartype 25 :vartypmod -1 :varcollid 100 :varlevelsup 0 :varnosyn 3 :varattnosyn 2 :location 98} :resno 2 :resname al\\}ias :ressortgroupref 0 :resorigtbl 16400 :resorigcol 2 :resjunk false} {TARGETENTRY :expr {OPEXPR :opno 551 :opfuncid 177 :opresulttype 23 :opretset false :opcollid 0 :inputcollid 0 :args ({VAR :varno 3 :varattno 1 :vartype 23 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 3 :varattnosyn 1 :location 122} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false :location 129 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]}) :location 127} :resno 3 :resname expr :ressortgroupref 0 :resorigtbl 0 :resorigcol 0 :resjunk false}) :override 0 :onConflict <> :returningList <> :groupClause <> :groupDistinct false :groupingSets <> :havingQual <> :windowClause <> :distinctClause <> :sortClause <> :limitOffset <> :limitCount <> :limitOption 0 :rowMarks <> :setOperations <> :constraintDeps <> :withCheckOptions <> :mergeActionList <> :mergeUseOuterJoin false :stmt_location 59 :stmt_len 91})'

describe('viewColumnOrigins', () => {
  it('maps plain column references to their base column and skips expressions', () => {
    expect(viewColumnOrigins(ACTION)).toEqual(
      new Map([
        ['id', { relid: 16400, attnum: 1 }],
        ['al}ias', { relid: 16400, attnum: 2 }],
      ]),
    )
  })

  it('finds nothing in text that is not a query tree', () => {
    expect(viewColumnOrigins('')).toEqual(new Map())
    expect(viewColumnOrigins('({QUERY :targetList <>})')).toEqual(new Map())
  })
})
