//! MySQL / MariaDB (in progress).
use std::path::Path;

use super::{ColumnInfo, DbResult, Dialect, Driver, Holder, LockSpec, Value};
use crate::config::MysqlConn;
use crate::error::{Error, Result};

pub struct MysqlDriver;

impl MysqlDriver {
    pub fn open(_m: &MysqlConn, _base: &Path) -> Result<Self> {
        Err(Error::connection("MySQL is not available in this build"))
    }
}

impl Driver for MysqlDriver {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }
    fn execute(&mut self, _: &str, _: &[Value]) -> DbResult<u64> {
        unreachable!()
    }
    fn query(&mut self, _: &str, _: &[Value]) -> DbResult<Vec<Vec<Value>>> {
        unreachable!()
    }
    fn begin(&mut self) -> DbResult<()> {
        unreachable!()
    }
    fn commit(&mut self) -> DbResult<()> {
        unreachable!()
    }
    fn rollback(&mut self) -> DbResult<()> {
        unreachable!()
    }
    fn table_exists(&mut self, _: &str) -> DbResult<bool> {
        unreachable!()
    }
    fn columns(&mut self, _: &str) -> DbResult<Vec<ColumnInfo>> {
        unreachable!()
    }
    fn commits_implicitly(&self, sql: &str) -> bool {
        crate::sql::commits_implicitly_mysql(sql)
    }
    fn try_lock(&mut self, _: &LockSpec, _: &Holder) -> DbResult<Option<Holder>> {
        unreachable!()
    }
    fn release_lock(&mut self, _: &LockSpec, _: &Holder) -> DbResult<()> {
        unreachable!()
    }
    fn force_unlock(&mut self, _: &LockSpec) -> DbResult<Option<Holder>> {
        unreachable!()
    }
    fn interrupter(&self) -> Box<dyn Fn() + Send + Sync> {
        Box::new(|| {})
    }
}
