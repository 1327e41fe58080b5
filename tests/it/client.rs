//! The mysql client's own syntax, as dumps use it (issue 9, item 13): quoted DELIMITER
//! arguments, `\d`, and client commands (`source`, `\.`, `status` …) refused before anything
//! runs.

use crate::both;
use crate::mysql_test;
use crate::support::Backend;

both! {
    fn quoted_and_short_delimiters_split_as_the_mysql_client_does(p) {
        // Before: the quotes were kept as part of the delimiter, and `\d` went to the server.
        p.migration(
            "20240101000000_log.sql",
            "-- migrate:up\ndelimiter ':'\nCREATE TABLE a (id INT):\nCREATE TABLE log (id INT):\ndelimiter ';'\n\\d //\nCREATE TRIGGER a_ai AFTER INSERT ON a FOR EACH ROW BEGIN INSERT INTO log VALUES (NEW.id); END//\n\\d ;\nINSERT INTO a VALUES (1);\nINSERT INTO a VALUES (2)\\g\n\n-- migrate:down\nDROP TABLE log;\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        assert_eq!(p.db().col("SELECT id FROM log ORDER BY id"), vec!["1", "2"]);
        p.run(&["migrate:rollback"]).ok();
        assert!(!p.db().has_table("a"));
    }

    fn mysql_client_commands_are_refused_before_anything_runs(p) {
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up\nCREATE TABLE a (id INT);\nsource ./schema/b.sql\nINSERT INTO a VALUES (1);\n\n-- migrate:down\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"])
            .code(1)
            .has("migrations/20240101000000_a.sql line 3: `source ./schema/b.sql` is a command of the mysql client (`source`)")
            .has("paste that file's statements here");
        assert!(!p.db().has_table("a"), "nothing ran");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM furrow_migrations"), 0);
        p.migration(
            "20240101000000_a.sql",
            "-- migrate:up\nCREATE TABLE a (id INT);\n\n-- migrate:down\nDROP TABLE a;\n",
        );
        p.run(&["migrate:latest"]).ok();
        // The same in a SQL seed, with the short form.
        p.seed("a.sql", "INSERT INTO a VALUES (1);\n\\. more.sql\n");
        p.run(&["seed:run"])
            .code(1)
            .has("seeds/a.sql line 2: `\\. more.sql` is a command of the mysql client (`source`)");
        p.seed("a.sql", "INSERT INTO a VALUES (1);\nstatus;\n");
        p.run(&["seed:run"]).code(1).has("seeds/a.sql line 2").has("(`status`)");
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM a"), 0);
        // SQL that only looks like a command is sent.
        p.seed("a.sql", match p.backend {
            Backend::Mysql => "SET @status = 1;\nINSERT INTO a VALUES (@status);\n",
            Backend::Sqlite => "INSERT INTO a (id)\nSELECT 1 AS status;\n",
        });
        p.run(&["seed:run"]).ok();
        assert_eq!(p.db().scalar("SELECT COUNT(*) FROM a"), 1);
    }
}

/// A file shaped like `mysqldump` output (its preamble and postamble, a trigger between
/// `DELIMITER ;;` lines), with a routine under `delimiter ':'` and one under `\d //`.
const DUMP: &str = r#"-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: shop
-- ------------------------------------------------------
-- Server version	8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!50503 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;

--
-- Table structure for table `orders`
--

DROP TABLE IF EXISTS `orders`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!50503 SET character_set_client = utf8mb4 */;
CREATE TABLE `orders` (
  `id` int NOT NULL AUTO_INCREMENT,
  `total` decimal(10,2) NOT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

DROP TABLE IF EXISTS `order_log`;
CREATE TABLE `order_log` (
  `order_id` int NOT NULL,
  `note` varchar(50) NOT NULL,
  PRIMARY KEY (`order_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER `orders_ai` AFTER INSERT ON `orders` FOR EACH ROW BEGIN
  INSERT INTO order_log (order_id, note) VALUES (NEW.id, CONCAT('created; total ', NEW.total));
END */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;

delimiter ':'
CREATE PROCEDURE add_order(t DECIMAL(10,2))
BEGIN
  INSERT INTO orders (total) VALUES (t);
END:
delimiter ';'

\d //
CREATE FUNCTION order_count() RETURNS INT READS SQL DATA
BEGIN
  RETURN (SELECT COUNT(*) FROM orders);
END//
\d ;

CALL add_order(9.50);
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;
/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;

-- Dump completed on 2024-01-01 12:00:00
"#;

mysql_test! {
    fn a_mysqldump_file_with_triggers_and_client_delimiters_runs(p) {
        p.migration(
            "20240101000000_shop.sql",
            &format!("-- migrate:up transaction:false\n{DUMP}\n-- migrate:down\nDROP FUNCTION order_count;\nDROP PROCEDURE add_order;\nDROP TABLE order_log;\nDROP TABLE orders;\n"),
        );
        p.run(&["migrate:latest"]).ok().has("Batch 1 run: 1 migrations");
        let mut db = p.db();
        assert_eq!(db.col("SELECT note FROM order_log"), vec!["created; total 9.50"]);
        assert_eq!(db.scalar("SELECT order_count()"), 1);
        drop(db);
        p.run(&["migrate:rollback"]).ok();
        assert!(!p.db().has_table("orders"));
    }
}
